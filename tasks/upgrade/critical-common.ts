import type { ListrTask } from "listr2";
import { sessionTag } from "../../src/deploy/journal.js";
import type { ReleaseService } from "../../src/deploy/release-service.js";
import { waitHealthy } from "../../src/deploy/service.js";
import { undoJournal } from "../../src/deploy/undo.js";
import { ZopsError, messageOf } from "../../src/errors/index.js";
import { throttleLines } from "../../src/ui/throttle.js";
import type { DeployRun } from "./context.js";
import { formatTimings } from "./report.js";
import { say, step } from "./step.js";

/**
 * The health gate step: polls the service's health check, reporting each attempt's outcome as it happens (without a
 * terminal, one line per 10 s unless the outcome changes).
 */
export const healthStep = <C extends DeployRun>(
  service: (ctx: C) => ReleaseService | undefined,
  version: (ctx: C) => string | undefined,
): ListrTask<C, any, any> =>
  step<C>({
    title: "Health check",
    point: "health",
    critical: true,
    skip: (ctx) => {
      const health = service(ctx)?.health;
      if (!health) return "--no-restart: prepare next only";
      return !health.url && !health.command
        ? "no health check configured (deploy.health or the manifest's health)"
        : false;
    },
    run: async (ctx, task) => {
      const health = (service(ctx) as ReleaseService).health;
      say(ctx, task, `waiting up to ${health.deadlineMs / 1000} s for ${health.url ?? health.command?.argv.join(" ")}`);
      const show = throttleLines(process.stdout.isTTY ? 0 : 10_000);
      const result = await waitHealthy(health, (attempt, elapsedMs, problem) => {
        if (show(problem ?? "healthy"))
          say(ctx, task, `attempt ${attempt} (${(elapsedMs / 1000).toFixed(1)} s): ${problem ?? "healthy"}`);
      });
      if (!result.healthy)
        throw new ZopsError(
          "ROLLED_BACK",
          `health check of ${version(ctx)} failed after ${result.elapsedMs} ms (${result.attempts} attempts): ` +
            `${result.lastProblem}`,
        );
      ctx.healthyAt = performance.now();
      say(ctx, task, `healthy after ${result.elapsedMs} ms (${result.attempts} attempt(s))`);
    },
  });

/**
 * The rollback step of a critical section: runs only after a step failed; undoes the journal newest first (resumable,
 * see undoJournal).
 * @throws ROLLED_BACK when everything was undone, ROLLBACK_FAILED (journal kept) otherwise
 */
export const rollbackStep = <C extends DeployRun>(what: (ctx: C) => string): ListrTask<C, any, any> =>
  step<C>({
    title: "Roll back",
    skip: (ctx) => (ctx.failure ? false : "nothing failed"),
    run: async (ctx, task) => {
      const failure = ctx.failure as { step: string; error: unknown };
      const journal = ctx.journal;
      if (!journal) throw failure.error;
      ctx.log.write(`rolling back the critical section (failed: ${failure.step})`);
      const problems = await undoJournal({
        config: ctx.config,
        paths: ctx.paths,
        journal,
        tag: sessionTag(ctx.runId),
        crashPrefix: `${ctx.command}.undo`,
        report: (line) => say(ctx, task, line),
      });
      ctx.rollback = { ok: problems.length === 0, problems };
      const cause = `${failure.step}: ${messageOf(failure.error)}`;
      if (problems.length > 0)
        throw new ZopsError(
          "ROLLBACK_FAILED",
          `${what(ctx)} failed (${cause}) and could NOT be rolled back:\n  ${problems.join("\n  ")}`,
          {
            hint: `fix the causes above, then run \`zops rollback\`: it resumes from the journal ${ctx.paths.journal}`,
          },
        );
      await journal.close();
      const text = `${what(ctx)} failed and was rolled back: ${cause}`;
      ctx.log.write(`${text}\n${formatTimings(ctx)}`);
      throw new ZopsError("ROLLED_BACK", text, {
        hint: `the previous release runs again; see the log ${ctx.log.path}`,
        details: { steps: ctx.timings },
      });
    },
  });
