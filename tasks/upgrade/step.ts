import type { ListrTask, ListrTaskWrapper } from "listr2";
import { messageOf } from "../../src/errors/index.js";
import type { UpgradeContext } from "./context.js";

type Wrapper = ListrTaskWrapper<UpgradeContext, any, any>;

/** A step of the upgrade graph: title, body, optional skip reason and rollback. */
export interface StepSpec {
  readonly title: string;
  readonly run: (ctx: UpgradeContext, task: Wrapper) => Promise<unknown>;
  readonly skip?: (ctx: UpgradeContext) => string | false;
  readonly rollback?: (ctx: UpgradeContext, task: Wrapper) => Promise<void>;
}

/**
 * Wraps a step as a Listr task that logs its start, end, skip reason and duration to the run log and records its
 * timing.
 */
export const step = (spec: StepSpec): ListrTask<UpgradeContext, any, any> => ({
  title: spec.title,
  skip: spec.skip
    ? (ctx) => {
        const reason = spec.skip?.(ctx) ?? false;
        if (reason) ctx.log.write(`skip: ${spec.title}: ${reason}`);
        return reason;
      }
    : undefined,
  task: async (ctx, task) => {
    const started = performance.now();
    ctx.log.write(`start: ${task.title}`);
    try {
      const result = await spec.run(ctx, task);
      const ms = Math.round(performance.now() - started);
      ctx.timings.push({ title: task.title, ms });
      ctx.log.write(`done: ${task.title} (${ms} ms)`);
      return result;
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      ctx.timings.push({ title: `${task.title} (failed)`, ms });
      ctx.log.write(`FAILED: ${task.title} (${ms} ms): ${messageOf(error)}`);
      throw error;
    }
  },
  rollback: spec.rollback,
});

/** Sends a line to the task's output and to the run log. */
export const say = (ctx: UpgradeContext, task: Wrapper, line: string): void => {
  task.output = line;
  ctx.log.write(`  ${line}`);
};
