import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import { expireSecrets } from "../../src/secrets/expire.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";
import { expireUploads } from "../../src/uploads/expire.js";
import { collectUploadsGarbage, type CollectGarbageResult } from "../../src/uploads/gc.js";

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
}

/**
 * Retention of uploads snapshots and secrets archives tied to the database backups, then garbage collection of
 * unreferenced packs (older than uploads.gcGraceHours, never while a snapshot runs), as one Listr task. Idempotent;
 * dryRun deletes nothing.
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
      part.uploads = await expireUploads(storage, policy, { dryRun: options.dryRun });
      part.garbage = await collectUploadsGarbage(storage, {
        graceMs: config.uploads.gcGraceHours * 3_600_000,
        dryRun: options.dryRun,
      });
      part.secrets = await expireSecrets(storage, policy, {
        dryRun: options.dryRun,
        graceMs: config.uploads.gcGraceHours * 3_600_000,
      });
      const verb = options.dryRun ? "Would delete" : "Deleted";
      task.title =
        `${verb} ${part.uploads.expired.length} uploads snapshots, ` +
        `${part.garbage.deletedObjects.length} unreferenced packs ` +
        `(${formatBytes(part.garbage.deletedBytes)})` +
        (part.garbage.skipped ? ` [packs kept: ${part.garbage.skipped}]` : "") +
        ", " +
        `${part.secrets.expired.length} secrets archives`;
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});
