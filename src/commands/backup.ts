import type { BackupManifest } from "../backup/manifest.js";
import { backupLockPath } from "../backup/backup-id.js";
import type { BackupRun } from "../backup/take-backup.js";
import { ZopsError, messageOf } from "../errors/index.js";
import { withLock } from "../lock/lock-file.js";
import { openStorage } from "../storage/open.js";
import { formatBytes, formatDuration, type CommandResult, type GlobalOptions } from "../ui/output.js";
import { createTasks } from "../ui/run-tasks.js";
import { databaseBackupTask, type DatabasePartContext } from "../../tasks/backup/database.js";
import { expireTask, type ExpirePartContext } from "../../tasks/backup/expire.js";
import { loadCommandConfig } from "./context.js";

export interface BackupOptions {
  readonly type?: string;
  readonly uploads?: boolean;
  readonly secrets?: boolean;
}

type BackupContext = DatabasePartContext & ExpirePartContext;

// `zops backup`: under the backup lock, runs each part (database; uploads and secrets join here) as an independent Listr task, then expire if every part succeeded. Exit PARTIAL when a part failed.
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
      const tasks = createTasks<BackupContext>(
        [
          databaseBackupTask<BackupContext>(run),
          expireTask<BackupContext>(storage, config.backup.retention.full, {
            dryRun: false,
            skipReason: (current) => (current.database.manifest ? false : "a part of the backup failed: nothing is expired"),
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

const summarize = (ctx: BackupContext, elapsedMs: number): CommandResult => {
  const manifest = ctx.database.manifest;
  const databaseError = ctx.database.error;
  const expireError = ctx.expire?.error;
  if (databaseError && !manifest) {
    if (databaseError instanceof ZopsError) throw databaseError;
    throw new ZopsError("INTERNAL", `database backup failed: ${messageOf(databaseError)}`, { cause: databaseError });
  }
  const json = {
    ok: !expireError,
    elapsedMs: Math.round(elapsedMs),
    database: manifest ? describeBackup(manifest, ctx.database.note) : undefined,
    expire: ctx.expire ? { applied: ctx.expire.applied, skipped: ctx.expire.skipped, plan: ctx.expire.plan && { expiredBackups: ctx.expire.plan.expiredBackups, leftovers: ctx.expire.plan.leftovers, walFiles: ctx.expire.plan.walObjects.length, bytes: ctx.expire.plan.bytes }, error: expireError ? messageOf(expireError) : undefined } : undefined,
  };
  const lines = manifest
    ? [
        `backup ${manifest.id} (${manifest.type}${manifest.parent ? ` on ${manifest.parent}` : ""}) complete in ${formatDuration(elapsedMs)}${ctx.database.note ? ` (${ctx.database.note})` : ""}`,
        `  database ${formatBytes(manifest.sizes.database)}, copied ${formatBytes(manifest.sizes.copied)}, stored ${formatBytes(manifest.sizes.stored)}`,
        `  LSN ${manifest.startLsn} - ${manifest.stopLsn}, WAL ${manifest.walStart} - ${manifest.walStop}`,
      ]
    : [];
  if (expireError) lines.push(`expire failed: ${messageOf(expireError)}`);
  return { exitCode: expireError ? 13 : 0, text: lines.join("\n"), json };
};

// The facts `zops backup --json` and `zops backups --json` give for one backup.
export const describeBackup = (manifest: BackupManifest, note?: string) => ({
  id: manifest.id,
  type: manifest.type,
  parent: manifest.parent ?? null,
  full: manifest.full,
  startedAt: manifest.startedAt,
  stoppedAt: manifest.stoppedAt,
  startLsn: manifest.startLsn,
  stopLsn: manifest.stopLsn,
  timeline: manifest.timeline,
  walStart: manifest.walStart,
  walStop: manifest.walStop,
  pgVersion: manifest.pgVersion,
  systemIdentifier: manifest.systemIdentifier,
  files: manifest.files.length,
  sizes: manifest.sizes,
  ...(note ? { note } : {}),
});
