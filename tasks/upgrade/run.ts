import { rm, rmdir } from "node:fs/promises";
import type { ListrTask } from "listr2";
import { messageOf, ZopsError } from "../../src/errors/index.js";
import { createTasks, type OutputMode } from "../../src/ui/run-tasks.js";
import type { DeployOutcome, DeployRun } from "./context.js";

/**
 * Runs a deploy graph (upgrade, rollback) and returns its outcome; whatever happens, removes the run's staging
 * directory and releases the lock, and logs a failure's first line (the rollback step logged the details).
 * @throws what the graph throws
 */
export const runDeployGraph = async <C extends DeployRun & { staging?: string | undefined }>(
  ctx: C,
  tasks: ListrTask<C, any, any>[],
  globals: OutputMode,
): Promise<DeployOutcome> => {
  try {
    await createTasks(tasks, globals, { interactive: !ctx.yes && !ctx.planOnly }).run(ctx);
    if (!ctx.outcome) throw new ZopsError("INTERNAL", `zops ${ctx.command} ended without an outcome`);
    return ctx.outcome;
  } catch (error) {
    ctx.log.write(`FAILED: ${messageOf(error).split("\n")[0]}`);
    throw error;
  } finally {
    if (ctx.staging) await rm(ctx.staging, { recursive: true, force: true }).catch(() => undefined);
    await rmdir(ctx.paths.staging).catch(() => undefined);
    await ctx.lock?.release();
  }
};
