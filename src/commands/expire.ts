import { repositoryLockPath, withReadersExcluded } from "../lock/repository-lock.js";
import type { BackupManifest } from "../backup/manifest.js";
import { openPiecePool } from "../backup/piece-pool.js";
import { verifyBackupObjects } from "../verify/verify-backup.js";
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
 * plan is computed and printed. Only restorable chains count toward retention.full; with --verify a chain counts only
 * after its content is re-read and every checksum matches.
 */
export const runExpire = async (
  globals: GlobalOptions,
  options: { dryRun?: boolean; verify?: boolean } = {},
): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const opened = await openStorage(config);
  const storage = options.dryRun ? dryRunStorage(opened) : opened;
  const pool = options.verify ? openPiecePool(config.backup.processes) : undefined;
  const verifyContent = pool
    ? (backup: BackupManifest) => verifyBackupObjects(storage, pool, backup, new Set())
    : undefined;
  try {
    await openRepository(storage);
    const guard: DeletionGuard = (fn) => withReadersExcluded(repositoryLockPath(config), "zops expire", fn);
    const ctx: ExpirePartContext = {};
    await createTasks<ExpirePartContext>(
      [
        expireTask<ExpirePartContext>(storage, config.backup.retention.full, {
          dryRun: options.dryRun ?? false,
          guard,
          verifyContent,
        }),
      ],
      globals,
    ).run(ctx);
    const plan = ctx.expire?.plan;
    const json = {
      dryRun: options.dryRun ?? false,
      kept: plan?.kept ?? [],
      restorableChains: plan?.restorableChains ?? [],
      brokenKept: plan?.brokenKept ?? [],
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
    await pool?.close();
    await storage.close?.();
  }
};
