import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import { expireSecrets } from "../../src/secrets/expire.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";
import { expireUploads } from "../../src/uploads/expire.js";
import { collectUploadsGarbage, type CollectGarbageResult } from "../../src/uploads/gc.js";
import { deleteUnlessRead, type DeletionGuard, type WhileRead } from "../deletions.js";

/** What file retention leaves in the command context. */
export interface FilesExpirePartContext {
  filesExpire?: {
    skipped?: string;
    uploads?: { kept: string[]; expired: string[] };
    garbage?: CollectGarbageResult;
    secrets?: { kept: string[]; expired: string[]; orphans: string[] };
    error?: unknown;
  };
}

export interface FilesExpireOptions<Ctx> {
  /**
   * Start of the oldest database backup that is kept; snapshots and archives needed to go with it (and everything
   * newer) stay. Undefined skips file retention.
   */
  readonly keepSince: (ctx: Ctx) => Date | undefined;
  readonly dryRun: boolean;
  readonly skipReason?: (ctx: Ctx) => string | false;
  /** Keeps the repository's readers out while deleting. */
  readonly guard?: DeletionGuard;
  readonly whileRead?: WhileRead;
}

/**
 * Retention of uploads snapshots and secrets archives tied to the database backups, then garbage collection of
 * unreferenced packs (older than uploads.gcGraceHours, never while a snapshot runs), as one Listr task, under `guard`
 * (nothing is deleted while a restore, verify or drill reads; `whileRead: "skip"` defers it then). Idempotent; dryRun
 * deletes nothing.
 */
export const filesExpireTask = <Ctx extends FilesExpirePartContext>(
  storage: Storage,
  config: Pick<ZopsConfig, "uploads">,
  options: FilesExpireOptions<Ctx>,
): ListrTask<Ctx> => ({
  title: options.dryRun ? "Expire uploads and secrets (dry run)" : "Expire uploads snapshots and secrets archives",
  skip: (ctx) => {
    const reason =
      options.skipReason?.(ctx) || (options.keepSince(ctx) ? false : "no database backup to tie file retention to");
    if (reason) ctx.filesExpire = { skipped: reason };
    return reason;
  },
  task: async (ctx, task) => {
    const part: NonNullable<FilesExpirePartContext["filesExpire"]> = {};
    ctx.filesExpire = part;
    try {
      const policy = { keepSince: options.keepSince(ctx) };
      const graceMs = config.uploads.gcGraceHours * 3_600_000;
      let done: Required<Pick<typeof part, "uploads" | "garbage" | "secrets">> | undefined;
      const deferred = await deleteUnlessRead(
        options.dryRun ? undefined : options.guard,
        options.whileRead ?? "fail",
        async () => {
          const uploads = await expireUploads(storage, policy, { dryRun: options.dryRun });
          const garbage = await collectUploadsGarbage(storage, { graceMs, dryRun: options.dryRun });
          const secrets = await expireSecrets(storage, policy, { dryRun: options.dryRun, graceMs });
          done = { uploads, garbage, secrets };
          Object.assign(part, done);
        },
      );
      if (deferred || !done) {
        part.skipped = deferred;
        task.skip(deferred);
        return;
      }
      const verb = options.dryRun ? "Would delete" : "Deleted";
      task.title =
        `${verb} ${done.uploads.expired.length} uploads snapshots, ` +
        `${done.garbage.deletedObjects.length} unreferenced packs ` +
        `(${formatBytes(done.garbage.deletedBytes)})` +
        (done.garbage.skipped ? ` [packs kept: ${done.garbage.skipped}]` : "") +
        ", " +
        `${done.secrets.expired.length} secrets archives`;
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});
