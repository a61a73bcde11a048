import type { BackupManifest } from "../backup/manifest.js";
import { ZopsError } from "../errors/index.js";
import type { RestorePointMark } from "./marks.js";
import { consistencyPoint, consistentBy, type TargetPoint } from "./target-point.js";

// The one backup selection of restore, `restore --plan` and drill: the newest backup whose consistency point (stop
// LSN and stop time) is at or before the target. Replaying from a backup that became consistent after the target
// would bring back data from after it (PostgreSQL either refuses, "requested recovery stop point is before consistent
// recovery point", or, for a time target, stops at the first commit after the target and keeps everything the backup
// already held).

const describe = (manifest: BackupManifest): string =>
  `${manifest.id} (consistent at ${consistencyPoint(manifest).text})`;

/**
 * Picks the backup to restore for `point` from `candidates` (complete backups, oldest first; a caller may leave out
 * backups it cannot use). With `explicit` (`--backup ID`), checks that backup instead. Pure.
 * @throws NOT_FOUND when there is no backup, or `explicit` is not one of them.
 * @throws PRECONDITION when no backup is consistent at or before the target (naming the nearest ones), when `explicit`
 * became consistent after it, or for a restore point name that is not recorded and no `--backup` (naming the recorded
 * ones).
 */
export const selectBackup = (
  candidates: readonly BackupManifest[],
  point: TargetPoint,
  options: { explicit?: string; marks?: readonly RestorePointMark[]; location: string },
): BackupManifest => {
  const explicit = options.explicit === "latest" ? undefined : options.explicit;
  if (candidates.length === 0)
    throw new ZopsError("NOT_FOUND", `no backup in '${options.location}'`, { hint: "take one with `zops backup`" });
  const byConsistency = [...candidates].sort((a, b) => {
    const diff = consistencyPoint(a).lsn - consistencyPoint(b).lsn;
    return diff < 0n ? -1 : diff > 0n ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  const qualifying = byConsistency.filter((manifest) => consistentBy(manifest, point));
  const newestBefore = qualifying.at(-1);
  if (explicit) {
    const chosen = candidates.find((manifest) => manifest.id === explicit);
    if (!chosen)
      throw new ZopsError("NOT_FOUND", `backup '${explicit}' does not exist in '${options.location}'`, {
        hint: "list backups with `zops backups`",
      });
    if (!consistentBy(chosen, point))
      throw new ZopsError(
        "PRECONDITION",
        `backup ${describe(chosen)} became consistent after the recovery target, ${point.text}: ` +
          "replaying from it would bring back data from after the target",
        {
          hint: newestBefore
            ? `restore backup ${describe(newestBefore)}, or leave out --backup to let zops choose it`
            : "no backup is consistent at or before the target: choose a later target",
          details: { backup: chosen.id, target: point.text, newestBefore: newestBefore?.id ?? null },
        },
      );
    return chosen;
  }
  if (point.kind === "name" && !point.mark) {
    const recorded = (options.marks ?? []).map((mark) => mark.name);
    throw new ZopsError(
      "PRECONDITION",
      `${point.text}: zops does not know where it is in the WAL, so it cannot choose the backup to replay from`,
      {
        hint:
          (recorded.length > 0 ? `recorded restore points: ${recorded.slice(-8).join(", ")}; ` : "") +
          "create restore points with `zops mark NAME`; for one created otherwise, name the backup to replay from " +
          "with --backup ID (PostgreSQL stops at the first restore point of that name after it)",
      },
    );
  }
  if (!newestBefore) {
    const oldest = byConsistency[0] as BackupManifest;
    throw new ZopsError(
      "PRECONDITION",
      `no backup is consistent at or before ${point.text}: the oldest backup is ${describe(oldest)}`,
      {
        hint:
          "a backup can only be replayed forward: choose a target after the oldest backup's consistency point " +
          "(see `zops backups`)",
        details: { target: point.text, oldest: oldest.id },
      },
    );
  }
  return newestBefore;
};
