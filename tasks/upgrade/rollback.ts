import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import type { Links } from "../../src/deploy/deployments.js";
import { startJournal, type JournalWriter } from "../../src/deploy/journal.js";
import type { DeployPaths } from "../../src/deploy/paths.js";
import type { ReleaseManifest } from "../../src/deploy/release-manifest.js";
import { hookEnv, releaseService } from "../../src/deploy/release-service.js";
import type { RunLog } from "../../src/deploy/run-log.js";
import { runServiceCommand, waitHealthy } from "../../src/deploy/service.js";
import { switchSymlink } from "../../src/deploy/symlink.js";
import { ZopsError } from "../../src/errors/index.js";
import { undoRecords } from "./undo.js";

/** State of `zops rollback` (switch back to `last`). */
export interface RollbackContext {
  readonly config: ZopsConfig;
  readonly paths: DeployPaths;
  readonly log: RunLog;
  readonly links: Links & { current: string; last: string };
  readonly from: ReleaseManifest;
  readonly to: ReleaseManifest;
  journal?: JournalWriter;
  stoppedAt?: number;
  healthyAt?: number;
  undone?: { ok: boolean; problems: string[] };
}

const report = (ctx: RollbackContext, task: { output: string }, line: string) => {
  task.output = line;
  ctx.log.write(`  ${line}`);
};

// Undo of a failed rollback: the journal newest first (start the release that ran before, links back).
const undo = async (ctx: RollbackContext, task: { output: string }): Promise<void> => {
  if (ctx.undone || !ctx.journal) return;
  const problems = await undoRecords(ctx.journal.journal.undo, {
    config: ctx.config,
    paths: ctx.paths,
    fromVersion: ctx.from.version,
    toVersion: ctx.to.version,
    report: (line) => report(ctx, task, `undo: ${line}`),
  });
  ctx.undone = { ok: problems.length === 0, problems };
  if (problems.length)
    throw new ZopsError("ROLLBACK_FAILED", `could not undo the failed rollback:\n  ${problems.join("\n  ")}`);
  await ctx.journal.close();
};

/** The rollback graph: stop current, swap current/last, start, health-check; a failure puts everything back. */
export const rollbackTasks = (): ListrTask<RollbackContext, any, any>[] => {
  const env = (ctx: RollbackContext) => hookEnv(ctx.from.version, ctx.to.version, ctx.links.last);
  return [
    {
      title: "Stop the current release",
      task: async (ctx, task) => {
        ctx.journal = await startJournal(ctx.paths.journal, {
          fromDeployment: ctx.links.current,
          fromVersion: ctx.from.version,
          toDeployment: ctx.links.last,
          toVersion: ctx.to.version,
        });
        const service = releaseService(ctx.config, ctx.paths, ctx.from, ctx.links.current);
        await ctx.journal.record({ kind: "service-stopped", deployment: ctx.links.current });
        ctx.stoppedAt = performance.now();
        if (service.stop) await runServiceCommand(service.stop, env(ctx), service.timeoutMs);
        report(ctx, task, `stopped ${ctx.from.version}`);
      },
      rollback: undo,
    },
    {
      title: "Switch current back to last",
      task: async (ctx, task) => {
        await ctx.journal?.record({ kind: "links", current: ctx.links.current, last: ctx.links.last });
        await switchSymlink(ctx.paths.current, ctx.links.last);
        await switchSymlink(ctx.paths.last, ctx.links.current);
        report(ctx, task, `current -> ${ctx.links.last}, last -> ${ctx.links.current}`);
      },
      rollback: undo,
    },
    {
      title: "Start the previous release",
      task: async (ctx, task) => {
        const service = releaseService(ctx.config, ctx.paths, ctx.to, ctx.links.last);
        await ctx.journal?.record({ kind: "service-started", deployment: ctx.links.last });
        if (service.start) await runServiceCommand(service.start, env(ctx), service.timeoutMs);
        const health = await waitHealthy(service.health);
        if (!health.healthy && (service.health.url || service.health.command))
          throw new ZopsError(
            "ROLLED_BACK",
            `${ctx.to.version} is not healthy after ${health.elapsedMs} ms: ${health.lastProblem}`,
          );
        ctx.healthyAt = performance.now();
        await ctx.journal?.close();
        report(ctx, task, `${ctx.to.version} started and healthy`);
      },
      rollback: undo,
    },
  ];
};
