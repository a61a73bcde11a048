import type { ListrTask } from "listr2";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { scanBackups } from "../../src/backup/scan-backups.js";
import { applyExpire, planExpire, type ExpirePlan } from "../../src/expire/plan-expire.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";
import { deleteUnlessRead, type DeletionGuard, type WhileRead } from "../deletions.js";

export interface ExpirePartContext {
  expire?: { plan?: ExpirePlan; applied: boolean; skipped?: string; error?: unknown };
}

/** Summarizes a plan in one line. */
export const describeExpirePlan = (plan: ExpirePlan): string =>
  `${plan.expiredBackups.length} backups ` +
  `(${plan.expiredBackups.join(", ") || "none"}), ` +
  `${plan.leftovers.length} interrupted leftovers, ` +
  `${plan.walObjects.length} WAL files; ${formatBytes(plan.bytes)}` +
  (plan.brokenKept.length > 0
    ? `; kept broken chains: ${plan.brokenKept.map((broken) => `${broken.chain} (${broken.reason})`).join("; ")}`
    : "");

/**
 * Retention as a Listr task: plan (read-only), then apply unless dryRun (the storage given for a dry run is the
 * write-refusing wrapper) under `guard`, so nothing is deleted while a restore, verify or drill reads. `skipReason`
 * skips it, e.g. when the backup failed; with `whileRead: "skip"` a reader defers it.
 */
export const expireTask = <Ctx extends ExpirePartContext>(
  storage: Storage,
  keepFull: number,
  options: {
    dryRun: boolean;
    skipReason?: (ctx: Ctx) => string | false;
    /** Keeps the repository's readers out while deleting. */
    guard?: DeletionGuard;
    whileRead?: WhileRead;
    /** expire --verify: re-read each backup's content before counting it as restorable (problem messages). */
    verifyContent?: (backup: BackupManifest) => Promise<string[]>;
  },
): ListrTask<Ctx> => ({
  title: options.dryRun ? "Expire (dry run)" : "Expire old backups and WAL",
  skip: (ctx) => {
    const reason = options.skipReason?.(ctx) ?? false;
    if (reason) ctx.expire = { applied: false, skipped: reason };
    return reason;
  },
  task: async (ctx, task) => {
    ctx.expire = { applied: false };
    try {
      const plan = await planExpire(storage, await scanBackups(storage), keepFull, {
        verifyContent: options.verifyContent,
      });
      ctx.expire.plan = plan;
      if (!options.dryRun) {
        const deferred = await deleteUnlessRead(options.guard, options.whileRead ?? "fail", () =>
          applyExpire(storage, plan),
        );
        if (deferred) {
          ctx.expire.skipped = deferred;
          task.skip(deferred);
          return;
        }
        ctx.expire.applied = true;
      }
      task.title =
        `${options.dryRun ? "Would delete" : "Deleted"} ` +
        `${describeExpirePlan(plan)}; keeping ${plan.kept.length} backups ` +
        `in ${plan.restorableChains.length} restorable chains`;
    } catch (error) {
      ctx.expire.error = error;
      throw error;
    }
  },
});
