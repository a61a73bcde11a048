import type { BackupManifest } from "../backup/manifest.js";
import { backupLockPath, timeOfBackupId } from "../backup/backup-id.js";
import type { BackupRun } from "../backup/take-backup.js";
import { ZopsError, exitCodeFor, messageOf } from "../errors/index.js";
import { withLock } from "../lock/lock-file.js";
import { openStorage } from "../storage/open.js";
import { formatBytes, formatDuration, type CommandResult, type GlobalOptions } from "../ui/output.js";
import { createTasks } from "../ui/run-tasks.js";
import { databaseBackupTask, type DatabasePartContext } from "../../tasks/backup/database.js";
import { expireTask, type ExpirePartContext } from "../../tasks/backup/expire.js";
import { fingerprintTask, type FingerprintPartContext } from "../../tasks/drill/fingerprint.js";
import { secretsArchiveTask, type SecretsPartContext } from "../../tasks/secrets/archive.js";
import { filesExpireTask, type FilesExpirePartContext } from "../../tasks/uploads/expire.js";
import { describeUploadsSnapshot, uploadsSnapshotTask, type UploadsPartContext } from "../../tasks/uploads/snapshot.js";
import { loadCommandConfig } from "./context.js";

export interface BackupOptions {
  readonly type?: string;
  /** false with --no-uploads. */
  readonly uploads?: boolean;
  /** false with --no-secrets. */
  readonly secrets?: boolean;
}

type BackupContext = DatabasePartContext &
  ExpirePartContext &
  UploadsPartContext &
  SecretsPartContext &
  FingerprintPartContext &
  FilesExpirePartContext;

/**
 * `zops backup`, the nightly job: under the backup lock, runs the database backup, data fingerprints, uploads snapshot
 * and secrets archive as independent Listr parts (one failing does not stop the others), then retention when every part
 * succeeded. Exit 0, or PARTIAL (13) naming the failed parts; a failed database backup alone keeps its own error code.
 */
export const runBackup = async (globals: GlobalOptions, options: BackupOptions = {}): Promise<CommandResult> => {
  const type = options.type ?? "full";
  if (type !== "full" && type !== "incr") throw new ZopsError("USAGE", `--type must be full or incr, got '${type}'`);
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    return await withLock(backupLockPath(config), "zops backup", async () => {
      const run: BackupRun = { config, storage, requestedType: type };
      const ctx: BackupContext = { database: {} };
      const started = performance.now();
      const failedPart = (current: BackupContext) => failures(current).length > 0;
      const tasks = createTasks<BackupContext>(
        [
          databaseBackupTask<BackupContext>(run),
          fingerprintTask<BackupContext>(config, storage),
          uploadsSnapshotTask<BackupContext>(storage, config, {
            disabled: options.uploads === false ? "--no-uploads" : undefined,
          }),
          secretsArchiveTask<BackupContext>(storage, config, {
            disabled: options.secrets === false ? "--no-secrets" : undefined,
          }),
          expireTask<BackupContext>(storage, config.backup.retention.full, {
            dryRun: false,
            skipReason: (current) => (failedPart(current) ? "a part of the backup failed: nothing is expired" : false),
          }),
          filesExpireTask<BackupContext>(storage, config, {
            dryRun: false,
            keepSince: (current) => oldestKept(current),
            skipReason: (current) =>
              failedPart(current) || current.expire?.error ? "a part of the backup failed: nothing is expired" : false,
          }),
        ],
        globals,
        { exitOnError: false },
      );
      await tasks.run(ctx).catch((error: unknown) => {
        ctx.database.error ??= error;
      });
      if (!ctx.database.manifest) ctx.database.error ??= tasks.errors[0]?.error ?? new Error("database backup failed");
      return summarize(ctx, performance.now() - started);
    });
  } finally {
    await storage.close?.();
  }
};

// Start time of the oldest database backup retention keeps (file archives from then on stay).
const oldestKept = (ctx: BackupContext): Date | undefined => {
  const kept = [...(ctx.expire?.plan?.kept ?? [])].sort();
  return kept[0] ? timeOfBackupId(kept[0]) : undefined;
};

const failures = (ctx: BackupContext): { part: string; error: unknown }[] =>
  [
    { part: "database", error: ctx.database.error },
    { part: "fingerprints", error: ctx.fingerprints?.error },
    { part: "uploads", error: ctx.uploads?.error },
    { part: "secrets", error: ctx.secrets?.error },
  ].filter((entry) => entry.error !== undefined);

// The command's result: when only the database part ran and failed, its own error; otherwise PARTIAL naming each failed
// part, with every part's outcome in the JSON.
const summarize = (ctx: BackupContext, elapsedMs: number): CommandResult => {
  const manifest = ctx.database.manifest;
  const failed = [
    ...failures(ctx),
    ...(ctx.expire?.error ? [{ part: "expire", error: ctx.expire.error }] : []),
    ...(ctx.filesExpire?.error ? [{ part: "files expire", error: ctx.filesExpire.error }] : []),
  ];
  const otherParts = [ctx.uploads?.result, ctx.secrets?.result].some(Boolean);
  if (!manifest && !otherParts && failed.length === 1 && failed[0]?.part === "database") {
    const error = failed[0].error;
    if (error instanceof ZopsError) throw error;
    throw new ZopsError("INTERNAL", `database backup failed: ${messageOf(error)}`, { cause: error });
  }
  const json = {
    ok: failed.length === 0,
    elapsedMs: Math.round(elapsedMs),
    failedParts: failed.map((entry) => ({
      part: entry.part,
      error: messageOf(entry.error),
      code: entry.error instanceof ZopsError ? entry.error.code : "INTERNAL",
    })),
    database: manifest
      ? { ...describeBackup(manifest, ctx.database.note), elapsedMs: Math.round(ctx.database.elapsedMs ?? 0) }
      : undefined,
    fingerprints:
      ctx.fingerprints && !ctx.fingerprints.error
        ? { tables: ctx.fingerprints.tables, lsn: ctx.fingerprints.lsn }
        : undefined,
    uploads: ctx.uploads?.result
      ? {
          id: ctx.uploads.result.id,
          ...ctx.uploads.result.stats,
          bytesWritten: ctx.uploads.result.bytesWritten,
          warnings: ctx.uploads.warnings,
        }
      : ctx.uploads?.skipped
        ? { skipped: ctx.uploads.skipped }
        : undefined,
    secrets: ctx.secrets?.result
      ? { id: ctx.secrets.result.id, files: ctx.secrets.result.files, size: ctx.secrets.result.size }
      : ctx.secrets?.skipped
        ? { skipped: ctx.secrets.skipped }
        : undefined,
    expire: ctx.expire
      ? {
          applied: ctx.expire.applied,
          skipped: ctx.expire.skipped,
          plan: ctx.expire.plan && {
            expiredBackups: ctx.expire.plan.expiredBackups,
            leftovers: ctx.expire.plan.leftovers,
            walFiles: ctx.expire.plan.walObjects.length,
            bytes: ctx.expire.plan.bytes,
          },
        }
      : undefined,
    filesExpire: ctx.filesExpire
      ? { skipped: ctx.filesExpire.skipped, uploads: ctx.filesExpire.uploads, secrets: ctx.filesExpire.secrets }
      : undefined,
  };
  const lines: string[] = [];
  if (manifest) {
    lines.push(
      `backup ${manifest.id} ` +
        `(${manifest.type}${manifest.parent ? ` on ${manifest.parent}` : ""}) ` +
        `complete in ${formatDuration(elapsedMs)}${ctx.database.note ? ` (${ctx.database.note})` : ""}`,
      `  database ${formatBytes(manifest.sizes.database)}, copied ` +
        `${formatBytes(manifest.sizes.copied)}, stored ` +
        `${formatBytes(manifest.sizes.stored)}`,
      `  LSN ${manifest.startLsn} - ${manifest.stopLsn}, WAL ${manifest.walStart} - ${manifest.walStop}`,
    );
  }
  if (ctx.fingerprints?.lsn)
    lines.push(`  fingerprints of ${ctx.fingerprints.tables} tables at ${ctx.fingerprints.lsn}`);
  lines.push(
    ctx.uploads?.result
      ? `  ${describeUploadsSnapshot(ctx.uploads.result)}`
      : `  uploads: ${ctx.uploads?.skipped ?? "not run"}`,
  );
  lines.push(
    ctx.secrets?.result
      ? `  secrets archive ${ctx.secrets.result.id}: ${ctx.secrets.result.files} files encrypted`
      : `  secrets: ${ctx.secrets?.skipped ?? "not run"}`,
  );
  for (const entry of failed) lines.push(`FAILED ${entry.part}: ${messageOf(entry.error)}`);
  return { exitCode: failed.length > 0 ? exitCodeFor("PARTIAL") : 0, text: lines.join("\n"), json };
};

/** The facts `zops backup --json` and `zops backups --json` give for one backup. */
export const describeBackup = (manifest: BackupManifest, note?: string) => ({
  id: manifest.id,
  type: manifest.type,
  parent: manifest.parent ?? null,
  full: manifest.full,
  startedAt: manifest.startedAt,
  stoppedAt: manifest.stoppedAt,
  startLsn: manifest.startLsn,
  stopLsn: manifest.stopLsn,
  stopTime: manifest.stopTime ?? null,
  timeline: manifest.timeline,
  walStart: manifest.walStart,
  walStop: manifest.walStop,
  pgVersion: manifest.pgVersion,
  systemIdentifier: manifest.systemIdentifier,
  files: manifest.files.length,
  sizes: manifest.sizes,
  ...(note ? { note } : {}),
});
