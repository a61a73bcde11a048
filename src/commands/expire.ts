import { repositoryLockPath, withReadersExcluded } from "../lock/repository-lock.js";
import { openRepository } from "../repo/repository.js";
import { dryRunStorage } from "../storage/dry-run.js";
import { openStorage } from "../storage/open.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";
import { createTasks } from "../ui/run-tasks.js";
import { describeExpirePlan, expireTask, type ExpirePartContext } from "../../tasks/backup/expire.js";
import type { DeletionGuard } from "../../tasks/deletions.js";
import { loadCommandConfig } from "./load-config.js";

/** Repository writer: excludes backups, and readers while it deletes. */
export const meta: CommandMeta = { lock: "repo-write", exits: STANDARD_EXITS };

/**
 * `zops expire [--dry-run]`: applies backup.retention (under the repository's writer lock, taken by the runner; refuses
 * with LOCK_HELD while a restore, verify or drill reads); with --dry-run the storage refuses every write, so only the
 * plan is computed and printed.
 */
export const runExpire = async (globals: GlobalOptions, options: { dryRun?: boolean } = {}): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const opened = await openStorage(config);
  const storage = options.dryRun ? dryRunStorage(opened) : opened;
  try {
    await openRepository(storage);
    const guard: DeletionGuard = (fn) => withReadersExcluded(repositoryLockPath(config), "zops expire", fn);
    const ctx: ExpirePartContext = {};
    await createTasks<ExpirePartContext>(
      [
        expireTask<ExpirePartContext>(storage, config.backup.retention.full, {
          dryRun: options.dryRun ?? false,
          guard,
        }),
      ],
      globals,
    ).run(ctx);
    const plan = ctx.expire?.plan;
    const json = {
      dryRun: options.dryRun ?? false,
      kept: plan?.kept ?? [],
      expiredBackups: plan?.expiredBackups ?? [],
      leftovers: plan?.leftovers ?? [],
      walFiles: plan?.walObjects.map((object) => object.name) ?? [],
      bytes: plan?.bytes ?? 0,
    };
    return {
      text: plan
        ? `${options.dryRun ? "would delete" : "deleted"} ` +
          `${describeExpirePlan(plan)}; kept ` +
          `${plan.kept.join(", ") || "nothing"}`
        : "nothing to do",
      json,
    };
  } finally {
    await storage.close?.();
  }
};
