import { rm } from "node:fs/promises";
import type { ListrTask } from "listr2";
import { purgeDeployments } from "../../src/deploy/deployments.js";
import { removeRestorePoint } from "../../src/deploy/restore-point.js";
import type { UpgradeContext } from "./context.js";
import { say, step } from "./step.js";

/**
 * The finish graph: drop `next` (the new deployment is current now), the restore point, and deployments beyond `keep`.
 */
export const finishTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  step({
    title: "Remove the next link and the restore point",
    run: async (ctx) => {
      await rm(ctx.paths.next, { force: true });
      if (ctx.restorePoint) await removeRestorePoint(ctx.restorePoint);
    },
  }),
  step({
    title: "Purge old deployments",
    run: async (ctx, task) => {
      ctx.purged = await purgeDeployments(ctx.paths, ctx.config.deploy.keep);
      say(
        ctx,
        task,
        ctx.purged.length ? `deleted ${ctx.purged.join(", ")}` : `nothing beyond keep=${ctx.config.deploy.keep}`,
      );
    },
  }),
];
