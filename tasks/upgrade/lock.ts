import type { ListrTask } from "listr2";
import { liveLockHolder as lockHolder } from "../../src/lock/lock-file.js";
import { acquireLock } from "../../src/lock/lock-file.js";
import type { DeployRun } from "./context.js";
import { say, step } from "./step.js";

/** Task: take the deploy lock (plan mode: only report who holds it, as a blocker). */
export const lockTask = <C extends DeployRun>(label: (ctx: C) => string): ListrTask<C, any, any> =>
  step<C>({
    title: "Take the deploy lock",
    run: async (ctx, task) => {
      if (ctx.planOnly) {
        const holder = await lockHolder(ctx.paths.lock);
        if (holder)
          ctx.blockers.push(
            `lock '${ctx.paths.lock}' is held by '${holder.command}' (pid ${holder.pid} on ${holder.host}, ` +
              `since ${holder.startedAt})`,
          );
        return;
      }
      ctx.lock = await acquireLock(ctx.paths.lock, label(ctx));
      const stale = ctx.lock.recoveredFrom;
      if (stale) {
        const note =
          `recovered a stale lock of '${stale.command}' (pid ${stale.pid} on ${stale.host}, ` +
          `since ${stale.startedAt}): that process is gone`;
        ctx.notes.push(note);
        say(ctx, task, note);
      }
    },
  });
