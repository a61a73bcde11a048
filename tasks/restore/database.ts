import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { openPiecePool, type PiecePool } from "../../src/backup/piece-pool.js";
import { findServerBinDir } from "../../src/pg/bin-dir.js";
import { describeSkipped, type UnrestorableBackup } from "../../src/backup/restorable.js";
import { postgresRunAs } from "../../src/pg/os-user.js";
import { recoverySettings, writeRecoveryFiles, type RecoveryTarget } from "../../src/restore/recovery-settings.js";
import { restoreFiles, type RestoreFilesResult } from "../../src/restore/restore-files.js";
import { describeRecovery, startAndAwaitRecovery, type RecoveryOutcome } from "../../src/restore/start-restored.js";
import { checkTargets, createDirectories, removePartialRestore } from "../../src/restore/target-dir.js";
import { consistencyPoint, type TargetPoint } from "../../src/restore/target-point.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";
import { formatProgress } from "../../src/ui/run-tasks.js";

/** Inputs of the database part of `zops restore`. */
export interface DatabaseRestoreRequest {
  readonly config: ZopsConfig;
  readonly configPath: string;
  readonly storage: Storage;
  /** The backup chosen for the target (src/restore/choose-restore.ts). */
  readonly manifest: BackupManifest;
  /** Newer backups passed over because they cannot be restored (said in the title and the result). */
  readonly skipped?: readonly UnrestorableBackup[] | undefined;
  readonly point: TargetPoint;
  readonly to: string;
  readonly delta: boolean;
  readonly start: boolean;
  readonly target: RecoveryTarget;
  readonly archiveMode: "off" | "preserve";
  readonly settings: Record<string, string>;
  readonly tablespaceMap: ReadonlyMap<string, string>;
  readonly timeoutMs: number;
}

export interface DatabaseRestoreContext {
  database: {
    manifest?: BackupManifest;
    /** Newer backups `latest` passed over because they cannot be restored. */
    skipped?: readonly UnrestorableBackup[];
    files?: RestoreFilesResult;
    recovery?: RecoveryOutcome;
    restoreMs?: number;
  };
}

/**
 * The database part of `zops restore` as a Listr task: pick the backup, check the target, restore and check files,
 * write recovery settings, optionally start and wait for recovery. Rollback removes nothing the operator had (a refused
 * target is never touched).
 */
export const databaseRestoreTask = <Ctx extends DatabaseRestoreContext>(
  request: DatabaseRestoreRequest,
): ListrTask<Ctx> => {
  let owner: ReturnType<typeof postgresRunAs> | undefined;
  const runAs = () => (owner ??= postgresRunAs());
  let targetState: "absent" | "empty" | "existing" | undefined;
  let binDir: string | undefined;
  let pool: PiecePool | undefined;
  const closePool = async () => {
    await pool?.close();
    pool = undefined;
  };
  // For a step that fails before the pool's step runs: closes the pool, then rethrows.
  const closingPool = async (error: unknown): Promise<never> => {
    await closePool();
    throw error;
  };
  return {
    title: `Restore database into ${request.to}`,
    task: (ctx, task) =>
      task.newListr<Ctx>(
        [
          {
            title: "Find the backup",
            task: async (_ctx, sub) => {
              // Started now, awaited later: the OS user lookup (a child process) and the pool threads' start-up overlap
              // the manifest read.
              void runAs().catch(() => undefined);
              pool ??= openPiecePool(request.config.backup.processes);
              ctx.database.manifest = request.manifest;
              ctx.database.skipped = request.skipped;
              const manifest = ctx.database.manifest;
              // The server binaries of the backup's major, found before anything is written.
              if (request.start)
                binDir = await findServerBinDir(request.config.postgres, manifest.pgVersion).catch(closingPool);
              sub.title =
                `Backup ${manifest.id} (${manifest.type}, ` +
                `${formatBytes(manifest.sizes.database)}, ` +
                `${manifest.files.length} files, consistent at ${consistencyPoint(manifest).text}; ` +
                `recovery to ${request.point.text})${describeSkipped(request.skipped)}`;
            },
          },
          {
            title: "Check the target directory",
            task: async (_ctx, sub) => {
              const state = await checkTargets(
                request.to,
                ctx.database.manifest as BackupManifest,
                request.tablespaceMap,
                request.delta,
              ).catch(closingPool);
              targetState = state;
              sub.title =
                state === "existing" ? `Delta restore into existing ${request.to}` : `Target ${request.to} is ${state}`;
            },
          },
          {
            title: "Restore files",
            task: async (_ctx, sub) => {
              const manifest = ctx.database.manifest as BackupManifest;
              const owner = await runAs();
              await createDirectories(request.to, manifest, request.tablespaceMap, owner);
              const started = performance.now();
              const threads = (pool ??= openPiecePool(request.config.backup.processes));
              let last = 0;
              try {
                ctx.database.files = await restoreFiles(request.storage, threads, manifest, request.to, {
                  delta: request.delta,
                  owner,
                  onProgress: (progress) => {
                    const now = performance.now();
                    if (now - last < 500) return;
                    last = now;
                    sub.output =
                      `${formatProgress(progress.bytes, started)} of ` +
                      `${formatBytes(progress.total)}, ${progress.objects} objects`;
                  },
                });
              } finally {
                await closePool();
              }
              ctx.database.restoreMs = performance.now() - started;
              const files = ctx.database.files;
              sub.title =
                `Restored ${files.written} files ` +
                `(${formatProgress(files.bytes, started)}, ` +
                `${formatBytes(files.downloaded)} downloaded, every checksum ` +
                `verified)${request.delta ? `; ${files.unchanged} already right, ${files.removed} removed` : ""}`;
            },
            // A failed restore into a directory that was absent or empty leaves it as it was, so it can simply be run
            // again; a delta target is left for the next --delta.
            rollback: async (_ctx, sub) => {
              if (targetState !== "absent" && targetState !== "empty") return;
              sub.title = `Removing the partial restore from ${request.to}`;
              await removePartialRestore(request.to, targetState, ctx.database.manifest, request.tablespaceMap);
            },
          },
          {
            title: "Write recovery settings",
            task: async (_ctx, sub) => {
              const manifest = ctx.database.manifest as BackupManifest;
              const settings = recoverySettings(request.configPath, request.target, {
                archiveMode: request.archiveMode,
                extra: request.settings,
              });
              await writeRecoveryFiles(request.to, manifest, settings, await runAs());
              sub.title = `Recovery settings written (${describeTarget(request.target)})`;
            },
          },
          {
            title: "Start PostgreSQL and wait for recovery",
            skip: () => (request.start ? false : "no --start: start PostgreSQL yourself to replay the WAL"),
            task: async (_ctx, sub) => {
              const manifest = ctx.database.manifest as BackupManifest;
              ctx.database.recovery = await startAndAwaitRecovery(request.to, manifest, request.target, request.point, {
                binDir: binDir ?? (await findServerBinDir(request.config.postgres, manifest.pgVersion)),
                runAs: await runAs(),
                user: request.config.postgres.user,
                timeoutMs: request.timeoutMs,
                storage: request.storage,
                onState: (text) => {
                  sub.output = text;
                },
              });
              const recovery = ctx.database.recovery;
              sub.title = `Recovery complete: ${describeRecovery(recovery)}`;
            },
          },
        ],
        { exitOnError: true },
      ),
  };
};

/** One-line description of a recovery target. Pure. */
export const describeTarget = (target: RecoveryTarget): string =>
  target.time
    ? `until time ${target.time}`
    : target.lsn
      ? `until LSN ${target.lsn}`
      : target.name
        ? `until restore point '${target.name}'`
        : target.immediate
          ? "until consistent"
          : "to the end of the archived WAL";
