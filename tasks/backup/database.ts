import type { ListrTask } from "listr2";

// Wraps each step so its error lands in ctx.database.error (first one wins) before Listr sees it.
const recordErrors = <Ctx extends DatabasePartContext>(ctx: Ctx, steps: ListrTask<Ctx>[]): ListrTask<Ctx>[] =>
  steps.map((step) => ({
    ...step,
    task: async (inner, sub) => {
      try {
        return await (step.task as (c: Ctx, s: typeof sub) => Promise<void>)(inner, sub);
      } catch (error) {
        ctx.database.error ??= error;
        throw error;
      }
    },
  }));
import type { BackupManifest } from "../../src/backup/manifest.js";
import {
  abandonBackup,
  awaitBackupWal,
  beginBackup,
  copyDataDirectory,
  endBackup,
  prepareBackup,
  writeManifest,
  type BackupRun,
} from "../../src/backup/take-backup.js";
import { formatBytes } from "../../src/ui/output.js";
import { formatProgress } from "../../src/ui/run-tasks.js";

/** What the database part of `zops backup` leaves in the command context. */
export interface DatabasePartResult {
  manifest?: BackupManifest;
  error?: unknown;
  /** Why an incremental became a full. */
  note?: string;
  copyMs?: number;
  /** Wall time of the whole database part (check to manifest written). */
  elapsedMs?: number;
}

/** Context slice this part needs: one field per part, so parts fail independently. */
export interface DatabasePartContext {
  database: DatabasePartResult;
}

/**
 * The database part of `zops backup` as one Listr task with subtasks (start, copy, stop, WAL, manifest). Its failure is
 * recorded in ctx.database.error and rolled back (session ended, objects of the unfinished backup deleted); other parts
 * are unaffected.
 */
export const databaseBackupTask = <Ctx extends DatabasePartContext>(run: BackupRun): ListrTask<Ctx> => {
  let started = performance.now();
  return {
    title: `Database backup (${run.requestedType})`,
    task: (ctx, task) =>
      task.newListr<Ctx>(
        recordErrors<Ctx>(ctx, [
          {
            title: "Check repository and cluster",
            task: async (_ctx, sub) => {
              started = performance.now();
              await prepareBackup(run);
              const notes = [
                ...(run.promotedReason ? [`taking a full backup: ${run.promotedReason}`] : []),
                ...(run.skippedParents?.length
                  ? [
                      `not building on unrestorable ` +
                        run.skippedParents.map((backup) => `${backup.id} (${backup.reason})`).join("; "),
                    ]
                  : []),
              ];
              if (notes.length > 0) ctx.database.note = notes.join("; ");
              sub.title =
                `Backup ${run.id} ` +
                `(${run.type}${run.parent ? ` on ${run.parent.id}` : ""}) of ` +
                `PostgreSQL ${run.facts?.pgVersion} cluster ` +
                `${run.facts?.systemIdentifier}`;
              task.title = `Database backup ${run.id} (${run.type})`;
            },
          },
          {
            title: "Start backup (pg_backup_start)",
            task: async (_ctx, sub) => {
              await beginBackup(run);
              sub.title = `Backup started at ${run.start?.lsn} on timeline ${run.start?.timeline}`;
            },
          },
          {
            title: "Copy data directory",
            task: async (_ctx, sub) => {
              const started = performance.now();
              let last = 0;
              await copyDataDirectory(run, (progress, plan) => {
                const now = performance.now();
                if (now - last < 500 && progress.bytes < plan.copyBytes) return;
                last = now;
                sub.output =
                  `${formatProgress(progress.bytes, started)} of ` +
                  `${formatBytes(plan.copyBytes)} (${formatBytes(progress.stored)} ` +
                  `stored in ${progress.objects} objects)`;
              });
              const plan = run.plan;
              sub.title =
                `Copied ${plan?.copied.length} files, ` +
                `${formatProgress(run.copy?.copied ?? 0, started)}, stored ` +
                formatBytes(run.copy?.stored ?? 0) +
                (plan && plan.referenced.length > 0 ? `; ${plan.referenced.length} unchanged files referenced` : "");
              ctx.database.copyMs = run.copyMs;
            },
          },
          {
            title: "Stop backup (pg_backup_stop)",
            task: async (_ctx, sub) => {
              await endBackup(run);
              sub.title = `Backup stopped at ${run.stop?.lsn}`;
            },
          },
          {
            title: "Wait for the WAL the backup needs",
            retry: 0,
            task: async (_ctx, sub) => {
              await awaitBackupWal(run, (missing) => {
                sub.output = `waiting for ${missing.join(", ")}`;
              });
              sub.title = "WAL needed for consistency is in the repository";
            },
          },
          {
            title: "Write manifest",
            task: async (_ctx, sub) => {
              ctx.database.manifest = await writeManifest(run);
              ctx.database.elapsedMs = performance.now() - started;
              sub.title = `Manifest written: backup ${run.id} is complete`;
            },
          },
        ]),
        { exitOnError: true },
      ),
    rollback: async (ctx, task) => {
      task.title = `Database backup failed: removing the unfinished backup${run.id ? ` ${run.id}` : ""}`;
      await abandonBackup(run);
      ctx.database.error ??= new Error("database backup failed");
    },
  };
};
