import type { ListrTask } from "listr2";
import { messageOf } from "../../src/errors/index.js";
import { makeDrillId, storeDrillReport, type DrillReport } from "../../src/drill/report.js";
import { removeScratch } from "../../src/drill/scratch.js";
import type { DrillContext, DrillRequest } from "./context.js";
import { drillReplayTasks, stopScratch } from "./replay.js";
import { drillRestoreTasks } from "./restore.js";
import { drillVerifyTasks } from "./verify.js";

// Wraps the steps up to the restored files: a refusal before restoring is recorded as the failed "tools" or "backup"
// check, and a damaged backup as the failed "backup files" check.
const CHECK_OF_STEP: Record<string, string> = {
  "Find the backup": "backup",
  "Check the tools the drill needs": "tools",
  "Download and verify the backup": "backup files",
};
const recordRestore = (tasks: ListrTask<DrillContext>[]): ListrTask<DrillContext>[] =>
  tasks.map((step) => ({
    ...step,
    task: async (ctx, task) => {
      const check = CHECK_OF_STEP[String(step.title)] ?? "drill setup";
      try {
        await (step.task as (c: DrillContext, t: typeof task) => Promise<void>)(ctx, task);
        if (check === "backup files")
          ctx.checks.push({ name: check, status: "pass", message: "every object and file checksum verified" });
      } catch (error) {
        ctx.clusterUsable = false;
        if (check !== "backup files") ctx.refused = messageOf(error);
        ctx.checks.push({ name: check, status: "fail", message: messageOf(error) });
        throw error;
      }
    },
  }));

// Nothing runs after a refusal (no backup, a missing tool): the drill stops before restoring anything.
const unlessRefused = (tasks: ListrTask<DrillContext>[]): ListrTask<DrillContext>[] =>
  tasks.map((step) => ({
    ...step,
    enabled: async (ctx: DrillContext) => {
      if (ctx.refused !== undefined) return false;
      const own = step.enabled;
      return typeof own === "function" ? await own(ctx) : (own ?? true);
    },
  }));

/** The drill's tasks: restore, replay and compare, verify, then the report (always). */
export const drillTasks = (request: DrillRequest): ListrTask<DrillContext>[] => [
  ...unlessRefused([
    ...recordRestore(drillRestoreTasks(request)),
    ...drillReplayTasks(request),
    ...drillVerifyTasks(request),
  ]),
];

/**
 * Builds the report from the context: passed only when no check failed or was incomplete and the replay ran;
 * incomplete when nothing failed but a check could not be made. Pure.
 */
export const buildDrillReport = (ctx: DrillContext, startedAt: Date, keptAt: string | undefined): DrillReport => {
  const failed =
    ctx.checks.length === 0 ||
    ctx.checks.some((check) => check.status === "fail") ||
    !ctx.checks.some((check) => check.name === "WAL replay" && check.status === "pass");
  const result = failed
    ? "failed"
    : ctx.checks.some((check) => check.status === "incomplete")
      ? "incomplete"
      : "passed";
  const ok = result === "passed";
  return {
    format: "zops-drill-report",
    version: 1,
    id: makeDrillId(startedAt),
    backup: ctx.manifest?.id,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    ok,
    result,
    checks: ctx.checks,
    rto: {
      totalMs: Math.round(ctx.readyMs ?? performance.now() - ctx.started),
      downloadMs: Math.round(ctx.downloadMs),
      replayMs: Math.round(ctx.replayMs),
      firstQueryMs: Math.round(ctx.firstQueryMs),
    },
    rpo: { lastTransactionAt: ctx.lastTransactionAt, seconds: ctx.rpoSeconds },
    replay: { reachedLsn: ctx.reachedLsn, newestArchivedSegment: ctx.newestArchivedSegment },
    keptAt,
  };
};

/**
 * Stops the scratch cluster and removes the scratch directory unless `keep`; stores the report in the repository.
 * Always runs, whatever failed before.
 */
export const finishDrill = async (request: DrillRequest, ctx: DrillContext, startedAt: Date): Promise<DrillReport> => {
  if (!request.keep) await stopScratch(ctx);
  const keptAt = request.keep ? ctx.scratch?.root : undefined;
  const report = buildDrillReport(ctx, startedAt, keptAt);
  await storeDrillReport(request.storage, report);
  if (!request.keep && ctx.scratch) await removeScratch(ctx.scratch);
  return report;
};
