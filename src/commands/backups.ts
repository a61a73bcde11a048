import { describeBackup } from "../backup/describe.js";
import { readManifest, type BackupManifest } from "../backup/manifest.js";
import { findRestorable } from "../backup/restorable.js";
import { openRepository } from "../repo/repository.js";
import { listSegmentTimes } from "../report/wal-times.js";
import { listMarks } from "../restore/marks.js";
import { openStorage } from "../storage/open.js";
import { formatBytes, formatTable } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** No lock: lists what is there. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops backups [ID]`: lists completed backups (interrupted ones have no manifest and never show) with the recovery
 * window from the oldest restorable one, or shows one backup. A damaged manifest or a missing object marks that backup
 * UNRESTORABLE with the reason; it never fails the listing. Read-only.
 */
export const runBackups = async (globals: GlobalOptions, backupId?: string): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    await openRepository(storage);
    if (backupId) return showBackup(await readManifest(storage, backupId));
    const { scan, restorable, unrestorable } = await findRestorable(storage);
    const backups = scan.backups;
    const problemOf = new Map(unrestorable.map((backup) => [backup.id, backup.reason]));
    const marks = await listMarks(storage);
    const segments = await listSegmentTimes(storage);
    const newestSegment = segments[segments.length - 1];
    const newest = newestSegment?.name;
    const oldest = restorable[0];
    // The end of the window as a time: when the newest archived segment was stored (its WAL was written before).
    const window = oldest
      ? {
          from: oldest.stoppedAt,
          fromLsn: oldest.stopLsn,
          to: newestSegment?.storedAt?.toISOString() ?? null,
          throughSegment: newest ?? oldest.walStop,
        }
      : undefined;
    const rows = [["ID", "STATUS", "TYPE", "PARENT", "STARTED", "DURATION", "DATABASE", "STORED", "LSN", "WAL NEEDED"]];
    for (const backup of backups) {
      rows.push([
        backup.id,
        problemOf.has(backup.id) ? "UNRESTORABLE" : "ok",
        backup.type,
        backup.parent ?? "-",
        backup.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
        `${Math.round((Date.parse(backup.stoppedAt) - Date.parse(backup.startedAt)) / 1000)} s`,
        formatBytes(backup.sizes.database),
        formatBytes(backup.sizes.stored),
        `${backup.startLsn} - ${backup.stopLsn}`,
        backup.walStart === backup.walStop ? backup.walStart : `${backup.walStart} - ${backup.walStop}`,
      ]);
    }
    const markRows = [["RESTORE POINT", "LSN", "TIME", "TIMELINE"]];
    for (const mark of marks) markRows.push([mark.name, mark.lsn, mark.time, String(mark.timeline)]);
    for (const damaged of scan.damaged) rows.push([damaged.id, "DAMAGED", "?", "?", "?", "?", "?", "?", "?", "?"]);
    rows.splice(1, rows.length, ...rows.slice(1).sort((a, b) => ((a[0] ?? "") < (b[0] ?? "") ? -1 : 1)));
    const problems = unrestorable.map((backup) => `${backup.id}: ${backup.reason}`);
    const text =
      backups.length + scan.damaged.length === 0
        ? "no backups"
        : `${formatTable(rows)}\n\n` +
          (window
            ? `recovery window: from ${window.from} (LSN ${window.fromLsn}) to ${window.to ?? "?"} ` +
              `(archived WAL segment ${window.throughSegment}, stored then)`
            : "no restorable backup") +
          (problems.length > 0
            ? `\n\nunrestorable (run \`zops verify\`, take a new backup): ${problems.join("; ")}`
            : "") +
          (marks.length > 0 ? `\n\n${formatTable(markRows)}` : "");
    return {
      text,
      json: {
        backups: backups.map((backup) => ({
          ...describeBackup(backup),
          restorable: !problemOf.has(backup.id),
          ...(problemOf.has(backup.id) ? { problem: problemOf.get(backup.id) } : {}),
        })),
        damaged: scan.damaged,
        recoveryWindow: window ?? null,
        restorePoints: marks.map(({ name, lsn, time, timeline }) => ({ name, lsn, time, timeline })),
        newestWal: newest ?? null,
      },
    };
  } finally {
    await storage.close?.();
  }
};

const showBackup = (backup: BackupManifest): CommandResult => {
  const referenced = backup.files.filter((file) => file.storedIn !== backup.id).length;
  const text = [
    `backup ${backup.id} (${backup.type}${backup.parent ? ` on ${backup.parent}, chain of ${backup.full}` : ""})`,
    `  started ${backup.startedAt}, stopped ${backup.stoppedAt}`,
    `  PostgreSQL ${backup.pgVersion}, system identifier ${backup.systemIdentifier}, timeline ${backup.timeline}`,
    `  LSN ${backup.startLsn} - ${backup.stopLsn}; WAL needed ${backup.walStart} - ${backup.walStop}`,
    `  database ${formatBytes(backup.sizes.database)} in ` +
      `${backup.files.length} files (${referenced} unchanged, ` +
      `referenced from earlier backups)`,
    `  copied ${formatBytes(backup.sizes.copied)}, stored ` +
      `${formatBytes(backup.sizes.stored)} (whole backup ` +
      `${formatBytes(backup.sizes.storedTotal)}) in ` +
      `${backup.objects.length} objects`,
    ...backup.tablespaces.map((space) => `  tablespace ${space.name} (oid ${space.oid}) at ${space.location}`),
  ].join("\n");
  return {
    text,
    json: {
      ...describeBackup(backup),
      tablespaces: backup.tablespaces,
      objects: backup.objects.length,
      referencedFiles: referenced,
    },
  };
};
