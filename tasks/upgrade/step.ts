import type { ListrTask, ListrTaskWrapper } from "listr2";
import { messageOf } from "../../src/errors/index.js";
import { crashPoint } from "../../src/fault/crash-point.js";
import type { DeployRun } from "./context.js";

type Wrapper<C> = ListrTaskWrapper<C, any, any>;

/** A step of a deploy graph: title, body, optional skip reason; `point` names its crash points. */
export interface StepSpec<C extends DeployRun> {
  readonly title: string;
  /** Crash points `<command>.<point>` (before the body) and `<command>.<point>.done` (after it). */
  readonly point?: string;
  readonly run: (ctx: C, task: Wrapper<C>) => Promise<unknown>;
  readonly skip?: (ctx: C) => string | false;
  /**
   * A step of a critical section: its failure is recorded in `ctx.failure` (every later step is skipped and the
   * rollback step runs) instead of ending the graph.
   */
  readonly critical?: boolean;
}

/**
 * Wraps a step as a Listr task that logs its start, end, skip reason and duration to the run log, records its timing
 * and reaches its crash points.
 */
export const step = <C extends DeployRun>(spec: StepSpec<C>): ListrTask<C, any, any> => ({
  title: spec.title,
  skip: (ctx) => {
    const reason = ctx.failure && spec.critical ? `not run: '${ctx.failure.step}' failed` : (spec.skip?.(ctx) ?? false);
    if (reason) ctx.log.write(`skip: ${spec.title}: ${reason}`);
    return reason;
  },
  task: async (ctx, task) => {
    const started = performance.now();
    ctx.log.write(`start: ${task.title}`);
    if (spec.point) crashPoint(`${ctx.command}.${spec.point}`);
    try {
      const result = await spec.run(ctx, task);
      const ms = Math.round(performance.now() - started);
      ctx.timings.push({ title: task.title, ms });
      ctx.log.write(`done: ${task.title} (${ms} ms)`);
      if (spec.point) crashPoint(`${ctx.command}.${spec.point}.done`);
      return result;
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      ctx.timings.push({ title: `${task.title} (failed)`, ms });
      ctx.log.write(`FAILED: ${task.title} (${ms} ms): ${messageOf(error)}`);
      if (!spec.critical) throw error;
      ctx.failure = { step: spec.title, error };
      task.title = `${spec.title}: FAILED: ${messageOf(error).split("\n")[0]}`;
    }
  },
});

/** Sends a line to the task's output and to the run log. */
export const say = <C extends DeployRun>(ctx: C, task: { output: unknown }, line: string): void => {
  task.output = line;
  ctx.log.write(`  ${line}`);
};

/** A group of the graph (preflight, plan | confirm, critical, finish): skipped once an outcome is set. */
export const group = <C extends DeployRun>(
  title: string,
  steps: () => ListrTask<C, any, any>[],
  enabled: (ctx: C) => boolean = () => true,
): ListrTask<C, any, any> => ({
  title,
  enabled: (ctx) => ctx.outcome === undefined && enabled(ctx),
  task: (_ctx, task) => task.newListr(steps(), { exitOnError: true }),
});
