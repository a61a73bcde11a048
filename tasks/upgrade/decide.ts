import type { ListrTask } from "listr2";
import { ZopsError } from "../../src/errors/index.js";
import type { DeployRun } from "./context.js";
import { step } from "./step.js";

/** What a graph's plan | confirm step needs from its command: the plan as text and JSON, and what "no change" says. */
export interface PlanView<C extends DeployRun> {
  readonly what: (ctx: C) => string;
  readonly text: (ctx: C) => string;
  readonly json: (ctx: C) => Record<string, unknown>;
  readonly hasChanges: (ctx: C) => boolean;
  readonly unchanged: (ctx: C) => { text: string; json: Record<string, unknown> };
  readonly question: (ctx: C) => string;
}

/**
 * Task: the plan | confirm group. --plan sets the outcome (exit 0 nothing, 2 changes, 4 blocked); a real run stops
 * here when blocked (PRECONDITION), when there is nothing to do (outcome), or when the operator declines.
 * @throws PRECONDITION (blocked or declined: nothing was changed)
 */
export const decideTask = <C extends DeployRun>(view: PlanView<C>): ListrTask<C, any, any> =>
  step<C>({
    title: "Plan and confirm",
    run: async (ctx) => {
      const plan = view.text(ctx);
      if (ctx.planOnly) {
        ctx.outcome = {
          outcome: ctx.blockers.length ? "blocked" : view.hasChanges(ctx) ? "planned" : "nothing",
          text: plan,
          json: view.json(ctx),
        };
        return;
      }
      ctx.log.write(plan);
      if (ctx.blockers.length)
        throw new ZopsError(
          "PRECONDITION",
          `${view.what(ctx)} blocked before the service was stopped; nothing was changed:\n${plan}`,
          {
            hint: `fix the blockers listed above (see \`zops ${ctx.command} --plan\`)`,
            details: { plan: view.json(ctx) },
          },
        );
      if (!view.hasChanges(ctx)) {
        ctx.outcome = view.unchanged(ctx);
        return;
      }
      if (ctx.yes) return;
      if (!(await ctx.confirm(plan, view.question(ctx))))
        throw new ZopsError("PRECONDITION", `${view.what(ctx)} cancelled: nothing was changed`);
    },
  });
