import type { BackupManifest } from "../backup/manifest.js";
import { findRestorable, type UnrestorableBackup } from "../backup/restorable.js";
import { ZopsError } from "../errors/index.js";
import { listSecretsArchives } from "../secrets/catalog.js";
import type { Storage } from "../storage/storage.js";
import { listUploadSnapshots } from "../uploads/catalog.js";
import { listMarks, type RestorePointMark } from "./marks.js";
import type { RecoveryTarget } from "./recovery-settings.js";
import { selectBackup } from "./select-backup.js";
import { referenceTime, resolveTargetPoint, type TargetPoint } from "./target-point.js";
import { formatMicros } from "./target-time.js";

/** What a restore (or its plan, or a drill) restores for one target. */
export interface RestoreChoice {
  readonly point: TargetPoint;
  readonly marks: readonly RestorePointMark[];
  /** The backup to restore (when the database is restored). */
  readonly manifest?: BackupManifest;
  /** Newer backups passed over because they cannot be restored (damaged manifest, missing objects). */
  readonly skipped?: readonly UnrestorableBackup[];
  /** Uploads snapshot and secrets archive ids (when asked for): the newest taken at or before the target. */
  readonly uploadsSnapshot?: string;
  readonly secretsArchive?: string;
  /** The server time the file archives were chosen against (undefined: no target, the newest ones). */
  readonly referenceTime?: string;
}

// Archive ids are UTC start times `YYYYMMDDTHHMMSSmmmZ` (src/uploads/snapshot-id.ts): an id at or before the
// reference time sorts at or before this one.
const idAt = (micros: bigint): string => `${formatMicros(micros).slice(0, 23).replace(/[-:.]/g, "")}Z`;

const pickAtOrBefore = (
  what: "uploads snapshot" | "secrets archive",
  ids: readonly string[],
  explicit: string | undefined,
  reference: bigint | undefined,
  point: TargetPoint,
): string => {
  if (explicit && explicit !== "latest") return explicit;
  if (reference === undefined) return "latest";
  const limit = idAt(reference);
  const chosen = [...ids].sort().filter((id) => id <= limit);
  const found = chosen.at(-1);
  if (found) return found;
  throw new ZopsError("PRECONDITION", `no ${what} was taken at or before ${point.text}`, {
    hint:
      ids.length > 0
        ? `the oldest is ${[...ids].sort()[0]}; name one with --${what.replace(" ", "-")} ID`
        : `the repository holds no ${what}`,
  });
};

/**
 * Chooses what to restore for `target` (read-only: lists backups, restore points and, when asked for, the file
 * archives): the newest backup consistent at or before the target (select-backup.ts; `backup` names one explicitly),
 * and the uploads snapshot and secrets archive taken at or before the target's time unless named explicitly. Only
 * restorable backups qualify (backup/restorable.ts): newer ones that cannot be restored are returned in `skipped`.
 * @throws PRECONDITION when nothing qualifies, an explicit choice contradicts the target or cannot be restored;
 * NOT_FOUND, USAGE.
 */
export const chooseRestore = async (
  storage: Storage,
  target: RecoveryTarget,
  wanted: { database: boolean; backup?: string; uploads?: boolean | string; secrets?: boolean | string },
): Promise<RestoreChoice> => {
  const damagedMarks = new Map<string, unknown>();
  const marks = await listMarks(storage, (name, error) => damagedMarks.set(name, error));
  if (target.name !== undefined && damagedMarks.has(target.name)) throw damagedMarks.get(target.name);
  const point = resolveTargetPoint(target, marks);
  // "latest" is no choice: the newest restorable backup for the target, naming the ones passed over.
  const explicit = wanted.backup === "latest" ? undefined : wanted.backup;
  const needBackup = wanted.database || ((wanted.uploads || wanted.secrets) && point.kind !== "end");
  const found = needBackup ? await findRestorable(storage) : undefined;
  const broken = found?.unrestorable.find((backup) => backup.id === explicit);
  if (broken)
    throw new ZopsError("PRECONDITION", `backup ${broken.id} cannot be restored: ${broken.reason}`, {
      hint: "run `zops verify` for the details; `zops backups` lists the restorable backups",
    });
  if (found && explicit === undefined && found.restorable.length === 0 && found.unrestorable.length > 0)
    throw new ZopsError(
      "NOT_FOUND",
      `no restorable backup in '${storage.location}': ` +
        found.unrestorable.map((backup) => `${backup.id}: ${backup.reason}`).join("; "),
      { hint: "run `zops verify` for the details, then `zops backup`" },
    );
  const manifest = found
    ? selectBackup(found.restorable, point, {
        explicit,
        marks,
        location: storage.location,
      })
    : undefined;
  const skipped =
    manifest && explicit === undefined ? found?.unrestorable.filter((backup) => backup.id > manifest.id) : undefined;
  const reference = manifest ? referenceTime(point, manifest, marks) : undefined;
  const explicitOf = (value: boolean | string | undefined) => (typeof value === "string" ? value : undefined);
  const uploadsSnapshot = wanted.uploads
    ? pickAtOrBefore(
        "uploads snapshot",
        (await listUploadSnapshots(storage)).map((snapshot) => snapshot.id),
        explicitOf(wanted.uploads),
        reference,
        point,
      )
    : undefined;
  const secretsArchive = wanted.secrets
    ? pickAtOrBefore(
        "secrets archive",
        (await listSecretsArchives(storage)).map((archive) => archive.id),
        explicitOf(wanted.secrets),
        reference,
        point,
      )
    : undefined;
  return {
    point,
    marks,
    manifest: wanted.database ? manifest : undefined,
    ...(skipped && skipped.length > 0 ? { skipped } : {}),
    uploadsSnapshot,
    secretsArchive,
    referenceTime: reference === undefined ? undefined : formatMicros(reference),
  };
};
