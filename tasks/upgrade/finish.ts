import { rm } from "node:fs/promises";
import type { ListrTask } from "listr2";
import { recordDeploymentStatus } from "../../src/deploy/deployment-status.js";
import { purgeDeployments } from "../../src/deploy/deployments.js";
import { removeRestorePoint } from "../../src/deploy/restore-point.js";
import { messageOf } from "../../src/errors/index.js";
import { formatDuration } from "../../src/ui/output.js";
import type { UpgradeContext } from "./context.js";
import { downtimeMs, formatTimings, planJson } from "./report.js";
import { say, step } from "./step.js";

// A finishing step never fails the upgrade (it already succeeded): its failure becomes a warning.
const tolerant = (
  title: string,
  point: string,
  run: (ctx: UpgradeContext, task: { output: unknown }) => Promise<void>,
) =>
  step<UpgradeContext>({
    title,
    point,
    run: async (ctx, task) => {
      try {
        await run(ctx, task);
      } catch (error) {
        ctx.notes.push(`warning: ${title.toLowerCase()} failed (the upgrade itself succeeded): ${messageOf(error)}`);
      }
    },
  });

const prepared = (ctx: UpgradeContext) => {
  const text =
    `prepared deployments/${ctx.deploymentName} (${ctx.manifest?.version}) as next; the service was not touched ` +
    "(--no-restart). Run the upgrade again without --no-restart to switch.";
  ctx.log.write(text);
  return { text, json: { ok: true, prepared: ctx.deploymentPath, version: ctx.manifest?.version } };
};

const upgraded = (ctx: UpgradeContext) => {
  const downtime = downtimeMs(ctx);
  const lines = [
    `upgraded ${ctx.manifest?.name} ${ctx.currentManifest?.version ?? "(none)"} -> ${ctx.manifest?.version} ` +
      `(deployments/${ctx.deploymentName})`,
    `downtime: ${downtime === undefined ? "none (service not stopped)" : formatDuration(downtime)} (stop to healthy)`,
    ctx.ranMigrations.length ? `migrations applied: ${ctx.ranMigrations.join(", ")}` : "migrations applied: none",
    ...ctx.configChanges
      .filter((change) => change.action !== "none")
      .map((change) => `config ${change.path}: ${change.kind}, ${change.action}`),
    ...ctx.notes.map((note) => `note: ${note}`),
    formatTimings(ctx),
    `log: ${ctx.log.path}`,
  ];
  ctx.log.write(lines.join("\n"));
  return {
    text: lines.join("\n"),
    json: {
      ok: true,
      from: ctx.currentManifest?.version ?? null,
      to: ctx.manifest?.version,
      deployment: ctx.deploymentPath,
      downtimeMs: downtime,
      migrations: ctx.ranMigrations,
      configs: planJson(ctx).configs,
      notes: ctx.notes,
      steps: ctx.timings,
      purged: ctx.purged,
      log: ctx.log.path,
    },
  };
};

/** The finish group: drop `next` and the restore point, record the status, purge beyond `keep`, report. */
export const finishTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  tolerant("Remove the next link and the restore point", "finish.clean", async (ctx) => {
    if (!ctx.options.restart) return;
    await rm(ctx.paths.next, { force: true });
    if (ctx.restorePoint) await removeRestorePoint(ctx.restorePoint);
  }),
  tolerant("Record the deployment status", "finish.status", async (ctx) => {
    if (ctx.options.restart && ctx.deploymentPath) await recordDeploymentStatus(ctx.deploymentPath, "installed");
  }),
  tolerant("Purge old deployments", "finish.purge", async (ctx, task) => {
    ctx.purged = await purgeDeployments(ctx.paths, ctx.config.deploy.keep);
    say(
      ctx,
      task,
      ctx.purged.length ? `deleted ${ctx.purged.join(", ")}` : `nothing beyond keep=${ctx.config.deploy.keep}`,
    );
  }),
  step<UpgradeContext>({
    title: "Report",
    run: async (ctx) => {
      ctx.outcome = ctx.options.restart ? upgraded(ctx) : prepared(ctx);
    },
  }),
];
