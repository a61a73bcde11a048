import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import type { ListrTask } from "listr2";
import { writeConfigChanges } from "../../src/deploy/config-write.js";
import { appDatabase } from "../../src/deploy/database.js";
import { sessionTag, startJournal } from "../../src/deploy/journal.js";
import { migrateUp } from "../../src/deploy/migrations.js";
import { hookEnv, releaseService } from "../../src/deploy/release-service.js";
import { createRestorePoint } from "../../src/deploy/restore-point.js";
import { runServiceCommand } from "../../src/deploy/service.js";
import { linkSharedDirectory } from "../../src/deploy/shared-links.js";
import { readSymlink, switchSymlink } from "../../src/deploy/symlink.js";
import { ZopsError } from "../../src/errors/index.js";
import type { UpgradeContext } from "./context.js";
import { healthStep, rollbackStep } from "./critical-common.js";
import { say, step } from "./step.js";

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new ZopsError("INTERNAL", `${what} missing before the critical section`);
  return value;
};

const newService = (ctx: UpgradeContext) =>
  releaseService(ctx.config, ctx.paths, need(ctx.manifest, "manifest"), need(ctx.deploymentPath, "deployment"));
const oldService = (ctx: UpgradeContext) =>
  ctx.links?.current && ctx.currentManifest
    ? releaseService(ctx.config, ctx.paths, ctx.currentManifest, ctx.links.current)
    : undefined;
const env = (ctx: UpgradeContext) =>
  hookEnv(ctx.currentManifest?.version, need(ctx.manifest, "manifest").version, need(ctx.deploymentPath, "deployment"));
const journalOf = (ctx: UpgradeContext) => need(ctx.journal, "journal");
const noRestart = (ctx: UpgradeContext) => (ctx.options.restart ? false : "--no-restart: prepare next only");

/**
 * The critical section after consent: journal, install the staged release as next, stop, configs, restore point,
 * migrate, switch, start, health gate. Each step journals its undo before acting; a failure skips the rest and runs
 * the rollback step.
 */
export const criticalTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  step<UpgradeContext>({
    title: "Open the upgrade journal",
    point: "journal",
    run: async (ctx) => {
      ctx.journal = await startJournal(ctx.paths.journal, {
        runId: ctx.runId,
        command: "upgrade",
        fromDeployment: ctx.links?.current,
        fromVersion: ctx.currentManifest?.version,
        toDeployment: need(ctx.deploymentPath, "deployment"),
        toVersion: need(ctx.manifest, "manifest").version,
      });
    },
  }),
  step<UpgradeContext>({
    title: "Install the release as next",
    point: "install",
    critical: true,
    run: async (ctx, task) => {
      const deployment = need(ctx.deploymentPath, "deployment");
      const previousNext = await readSymlink(ctx.paths.next);
      await journalOf(ctx).record({ kind: "deployment-installed", deployment, previousNext });
      await mkdir(ctx.paths.deployments, { recursive: true, mode: 0o755 });
      await rename(need(ctx.staging, "staging"), deployment);
      ctx.staging = undefined;
      for (const dir of need(ctx.manifest, "manifest").shared)
        await linkSharedDirectory(deployment, ctx.paths.shared, dir);
      await switchSymlink(ctx.paths.next, deployment);
      say(ctx, task, `deployments/${ctx.deploymentName} (next)`);
    },
  }),
  step<UpgradeContext>({
    title: "Stop the service",
    point: "stop",
    critical: true,
    skip: (ctx) =>
      noRestart(ctx) ||
      (!ctx.links?.current
        ? "no current deployment (first installation)"
        : !oldService(ctx)?.stop
          ? "no stop command (deploy.service.stop or the manifest's hooks.stop)"
          : false),
    run: async (ctx, task) => {
      const service = need(oldService(ctx), "old service");
      await journalOf(ctx).record({ kind: "service-stopped", deployment: ctx.links?.current });
      ctx.stoppedAt = performance.now();
      const ms = await runServiceCommand(need(service.stop, "stop"), env(ctx), service.timeoutMs, (line) =>
        say(ctx, task, line),
      );
      say(ctx, task, `stopped ${ctx.currentManifest?.version} in ${ms} ms`);
    },
  }),
  step<UpgradeContext>({
    title: "Write config files",
    point: "configs",
    critical: true,
    skip: (ctx) => noRestart(ctx) || (ctx.configChanges.length === 0 ? "the release ships no config files" : false),
    run: async (ctx, task) => {
      const count = await writeConfigChanges(
        ctx.configChanges,
        need(ctx.manifest, "manifest").version,
        ctx.paths,
        join(need(ctx.deploymentPath, "deployment"), ".zops", "replaced-files"),
        journalOf(ctx),
      );
      say(ctx, task, `${count} file(s) written`);
    },
  }),
  step<UpgradeContext>({
    title: "Take a database restore point",
    point: "restore-point",
    critical: true,
    skip: (ctx) =>
      noRestart(ctx) ||
      (ctx.options.skipMigrations
        ? "--skip-migrations"
        : ctx.irreversible.length === 0 || ctx.pendingMigrations.length === 0
          ? "every pending migration has a down step"
          : false),
    run: async (ctx, task) => {
      const db = appDatabase(ctx.config);
      ctx.restorePoint = await createRestorePoint(
        db,
        ctx.paths.restorePoints,
        need(ctx.deploymentName, "deployment"),
        sessionTag(ctx.runId),
        ctx.config.postgres.binDir,
      );
      say(ctx, task, `pg_dump of '${db.database}' -> ${ctx.restorePoint} (for ${ctx.irreversible.join(", ")})`);
    },
  }),
  step<UpgradeContext>({
    title: "Run migrations",
    point: "migrations",
    critical: true,
    skip: (ctx) =>
      noRestart(ctx) ||
      (ctx.options.skipMigrations
        ? "--skip-migrations"
        : ctx.pendingMigrations.length === 0
          ? "no pending migrations"
          : false),
    run: async (ctx, task) => {
      const dir = join(need(ctx.deploymentPath, "deployment"), need(ctx.manifest?.migrations, "migrations dir"));
      const record = {
        kind: "migrations" as const,
        direction: "up" as const,
        dir,
        names: ctx.pendingMigrations,
        restorePoint: ctx.restorePoint,
      };
      await journalOf(ctx).record(record);
      ctx.ranMigrations = await migrateUp({
        db: appDatabase(ctx.config),
        dir,
        table: ctx.config.deploy.database.migrationsTable,
        tag: sessionTag(ctx.runId),
        crashPrefix: "upgrade.migrations",
        onTransaction: (xid) => journalOf(ctx).amendLast({ ...record, xid }),
        onLine: (line) => say(ctx, task, line),
      });
      say(ctx, task, `applied ${ctx.ranMigrations.join(", ")}`);
    },
  }),
  step<UpgradeContext>({
    title: "Switch current to the new deployment",
    point: "switch",
    critical: true,
    skip: noRestart,
    run: async (ctx, task) => {
      await journalOf(ctx).record({ kind: "links", current: ctx.links?.current, last: ctx.links?.last });
      if (ctx.links?.current) await switchSymlink(ctx.paths.last, ctx.links.current);
      await switchSymlink(ctx.paths.current, need(ctx.deploymentPath, "deployment"));
      say(
        ctx,
        task,
        `current -> deployments/${ctx.deploymentName}${ctx.links?.current ? `, last -> ${ctx.links.current}` : ""}`,
      );
    },
  }),
  step<UpgradeContext>({
    title: "Start the service",
    point: "start",
    critical: true,
    skip: (ctx) =>
      noRestart(ctx) ||
      (!newService(ctx).start ? "no start command (deploy.service.start or the manifest's hooks.start)" : false),
    run: async (ctx, task) => {
      const service = newService(ctx);
      await journalOf(ctx).record({ kind: "service-started", deployment: need(ctx.deploymentPath, "deployment") });
      ctx.stoppedAt ??= performance.now();
      const ms = await runServiceCommand(need(service.start, "start"), env(ctx), service.timeoutMs, (line) =>
        say(ctx, task, line),
      );
      say(ctx, task, `started ${ctx.manifest?.version} in ${ms} ms`);
    },
  }),
  healthStep<UpgradeContext>(
    (ctx) => (noRestart(ctx) ? undefined : newService(ctx)),
    (ctx) => ctx.manifest?.version,
  ),
  rollbackStep<UpgradeContext>(
    (ctx) => `upgrade ${ctx.currentManifest?.version ?? "(none)"} -> ${ctx.manifest?.version}`,
  ),
  step<UpgradeContext>({
    title: "Close the upgrade journal",
    point: "close",
    run: async (ctx) => {
      ctx.healthyAt ??= performance.now();
      await journalOf(ctx).close();
    },
  }),
];
