import type { ListrTask } from "listr2";
import type { UpgradeContext } from "./context.js";
import { criticalTasks } from "./critical.js";
import { decideTask } from "./decide.js";
import { finishTasks } from "./finish.js";
import { preflightTasks } from "./preflight.js";
import { formatPlan, hasChanges, planJson } from "./report.js";
import { group } from "./step.js";

const what = (ctx: UpgradeContext) => `upgrade to ${ctx.manifest?.name} ${ctx.manifest?.version}`;

/**
 * `zops upgrade` as one tree: preflight (service running, nothing outside staging written) -> plan | confirm ->
 * critical section (journaled, rolled back on failure) -> finish. The outcome is left in `ctx.outcome`.
 */
export const upgradeTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  group("Preflight", preflightTasks),
  group("Plan and confirm", () => [
    decideTask<UpgradeContext>({
      what,
      text: formatPlan,
      json: planJson,
      hasChanges,
      question: (ctx) =>
        ctx.options.restart
          ? `Stop ${ctx.currentManifest?.version ?? "nothing"} and switch to ${ctx.manifest?.version}?`
          : `Install ${ctx.manifest?.version} as next (the service is not touched)?`,
      unchanged: (ctx) => ({
        text: [
          `${ctx.manifest?.name} ${ctx.manifest?.version} is already current; nothing to do`,
          ...ctx.notes.map((note) => `note: ${note}`),
        ].join("\n"),
        json: { ok: true, changed: false, version: ctx.manifest?.version, notes: ctx.notes },
      }),
    }),
  ]),
  group("Critical section", criticalTasks),
  group("Finish", finishTasks),
];
