import { rm } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import type { ZopsConfig } from "../config/index.js";
import { repositoryBackupCatalog, type BackupCatalog } from "../deploy/backup-freshness.js";
import type { ConfigPolicy } from "../deploy/drift.js";
import { deployPaths } from "../deploy/paths.js";
import { openRunLog, type RunLog } from "../deploy/run-log.js";
import { removeRestorePoint } from "../deploy/restore-point.js";
import { restoreSymlink } from "../deploy/symlink.js";
import { ZopsError, messageOf } from "../errors/index.js";
import { createTasks } from "../ui/run-tasks.js";
import { formatDuration } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import type { UpgradeContext, UpgradeOptions } from "../../tasks/upgrade/context.js";
import { criticalTasks } from "../../tasks/upgrade/critical.js";
import { finishTasks } from "../../tasks/upgrade/finish.js";
import { preflightTasks } from "../../tasks/upgrade/preflight.js";
import { downtimeMs, formatPlan, formatTimings, hasChanges, planJson } from "../../tasks/upgrade/report.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { PLAN_EXITS } from "./exits.js";

/** Commander options of `zops upgrade`. */
export interface UpgradeFlags {
  plan?: boolean;
  yes?: boolean;
  configPolicy?: string;
  skipMigrations?: boolean;
  restart?: boolean;
  allowDowngrade?: boolean;
}

/** Dependencies a test or embedding program may replace. */
export interface UpgradeDeps {
  readonly config?: ZopsConfig;
  readonly catalog?: BackupCatalog;
}

const NULL_LOG: RunLog = { path: "(none: --plan writes nothing)", write: () => undefined };

const parseOptions = (flags: UpgradeFlags): UpgradeOptions => {
  const policy = flags.configPolicy ?? "fail";
  if (!["fail", "keep", "replace"].includes(policy))
    throw new ZopsError("USAGE", `--config-policy must be keep, replace or fail, got '${policy}'`);
  return {
    plan: Boolean(flags.plan),
    yes: Boolean(flags.yes),
    configPolicy: policy as ConfigPolicy,
    skipMigrations: Boolean(flags.skipMigrations),
    restart: flags.restart !== false,
    allowDowngrade: Boolean(flags.allowDowngrade),
  };
};

// Removes what preflight unpacked (deployment and next link) when the upgrade does not go ahead.
const discardUnpacked = async (ctx: UpgradeContext): Promise<void> => {
  if (!ctx.deploymentPath) return;
  await restoreSymlink(ctx.paths.next, ctx.previousNext);
  await rm(ctx.deploymentPath, { recursive: true, force: true });
};

const confirm = async (ctx: UpgradeContext): Promise<void> => {
  if (ctx.options.yes) return;
  if (!process.stdin.isTTY)
    throw new ZopsError("PRECONDITION", "refusing to upgrade without confirmation: stdin is not a terminal", {
      hint: "review `zops upgrade --plan`, then pass --yes",
    });
  process.stdout.write(`${formatPlan(ctx)}\n`);
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question(
    `Stop ${ctx.currentManifest?.version ?? "nothing"} and switch to ${ctx.manifest?.version}? [y/N] `,
  );
  prompt.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new ZopsError("PRECONDITION", "upgrade cancelled: nothing was changed");
};

/** The deploy lock, except for --plan, which writes nothing; --plan exits 0 nothing, 2 planned, 4 blocked. */
export const meta: CommandMeta = { lock: (options) => (options.plan ? "none" : "deploy"), exits: PLAN_EXITS };

/**
 * `zops upgrade <tarball>`: preflight (service running) -> critical section with automatic rollback -> finish. See
 * docs/release-format.md.
 */
export const runUpgrade = async (
  globals: GlobalOptions,
  tarball: string,
  flags: UpgradeFlags = {},
  deps: UpgradeDeps = {},
): Promise<CommandResult> => {
  const options = parseOptions(flags);
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const log = options.plan ? NULL_LOG : openRunLog(paths.log, `upgrade[${process.pid}]`);
  const ctx: UpgradeContext = {
    tarball,
    config,
    paths,
    options,
    log,
    catalog: deps.catalog ?? repositoryBackupCatalog(config),
    notes: [],
    blockers: [],
    configChanges: [],
    migrations: [],
    pendingMigrations: [],
    irreversible: [],
    ranMigrations: [],
    timings: [],
    purged: [],
  };
  log.write(
    `zops upgrade ${tarball} (${
      [
        options.configPolicy !== "fail" ? `--config-policy ${options.configPolicy}` : "",
        options.skipMigrations ? "--skip-migrations" : "",
        options.restart ? "" : "--no-restart",
        options.allowDowngrade ? "--allow-downgrade" : "",
      ]
        .filter(Boolean)
        .join(" ") || "no options"
    })`,
  );
  try {
    return await upgradeWith(ctx, globals);
  } catch (error) {
    log.write(`FAILED: ${messageOf(error)}`);
    throw error;
  } finally {
    await ctx.lock?.release();
  }
};

const upgradeWith = async (ctx: UpgradeContext, globals: GlobalOptions): Promise<CommandResult> => {
  try {
    await createTasks(preflightTasks(), globals).run(ctx);
  } catch (error) {
    await discardUnpacked(ctx);
    throw error;
  }
  const plan = formatPlan(ctx);
  if (ctx.options.plan)
    return {
      outcome: ctx.blockers.length ? "blocked" : hasChanges(ctx) ? "planned" : "nothing",
      text: plan,
      json: planJson(ctx),
    };
  ctx.log.write(plan);
  if (ctx.blockers.length) {
    await discardUnpacked(ctx);
    throw new ZopsError(
      "PRECONDITION",
      `upgrade to ${ctx.manifest?.version} blocked before the service was stopped; nothing was changed:\n${plan}`,
      { hint: "fix the blockers listed above (see `zops upgrade --plan`)", details: { plan: planJson(ctx) } },
    );
  }
  if (!hasChanges(ctx)) {
    await discardUnpacked(ctx);
    return {
      text: [
        `${ctx.manifest?.name} ${ctx.manifest?.version} is already current; nothing to do`,
        ...ctx.notes.map((note) => `note: ${note}`),
      ].join("\n"),
      json: { ok: true, changed: false, version: ctx.manifest?.version, notes: ctx.notes },
    };
  }
  if (!ctx.options.restart) {
    const text =
      `prepared deployments/${ctx.deploymentName} ` +
      `(${ctx.manifest?.version}) as next; the service was not touched ` +
      `(--no-restart). Run the upgrade again without --no-restart to switch.`;
    ctx.log.write(text);
    return { text, json: { ok: true, prepared: ctx.deploymentPath, version: ctx.manifest?.version } };
  }
  await confirm(ctx);
  try {
    await createTasks(criticalTasks(), globals).run(ctx);
  } catch (error) {
    const failure = messageOf(error);
    if (ctx.rollback?.ok) {
      await restoreSymlink(ctx.paths.next, ctx.previousNext).catch(() => undefined);
      if (ctx.restorePoint) await removeRestorePoint(ctx.restorePoint).catch(() => undefined);
      const text =
        `upgrade ${ctx.currentManifest?.version ?? "(none)"} -> ` +
        `${ctx.manifest?.version} failed and was rolled back: ` +
        `${failure}\n${formatTimings(ctx)}`;
      ctx.log.write(text);
      throw new ZopsError("ROLLED_BACK", text, {
        hint: `the previous release runs again; see the log ${ctx.log.path}`,
        details: { steps: ctx.timings },
      });
    }
    if (ctx.rollback) {
      throw new ZopsError(
        "ROLLBACK_FAILED",
        `upgrade to ${ctx.manifest?.version} failed ` +
          `(${ctx.rollback.failure}: ${failure}) and could NOT be rolled ` +
          `back:\n  ${ctx.rollback.problems.join("\n  ")}`,
        {
          hint: `fix the causes above, then re-run the upgrade: it rolls the journal ${ctx.paths.journal} back first`,
        },
      );
    }
    throw error;
  }
  try {
    await createTasks(finishTasks(), globals).run(ctx);
  } catch (error) {
    ctx.notes.push(`warning: finishing steps failed (the upgrade itself succeeded): ${messageOf(error)}`);
  }
  const downtime = downtimeMs(ctx);
  const lines = [
    `upgraded ${ctx.manifest?.name} ` +
      `${ctx.currentManifest?.version ?? "(none)"} -> ` +
      `${ctx.manifest?.version} (deployments/${ctx.deploymentName})`,
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
