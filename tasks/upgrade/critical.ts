import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ListrTask, ListrTaskWrapper } from "listr2";
import { formatConffileTable, readConffileTable, storeShippedContent } from "../../src/deploy/conffile-table.js";
import { writeFileAtomic } from "../../src/fsio/atomic-write.js";
import { appDatabase } from "../../src/deploy/database.js";
import { backupFiles } from "../../src/deploy/file-backup.js";
import { startJournal } from "../../src/deploy/journal.js";
import { migrateUp } from "../../src/deploy/migrations.js";
import { hookEnv, releaseService } from "../../src/deploy/release-service.js";
import { createRestorePoint } from "../../src/deploy/restore-point.js";
import { runServiceCommand, waitHealthy } from "../../src/deploy/service.js";
import { switchSymlink } from "../../src/deploy/symlink.js";
import { ZopsError } from "../../src/errors/index.js";
import { resolveOwner } from "../../src/deploy/owner.js";
import type { UpgradeContext } from "./context.js";
import { say, step } from "./step.js";
import { undoRecords } from "./undo.js";

type Wrapper = ListrTaskWrapper<UpgradeContext, any, any>;

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

// Rollback of the critical section (the listr `rollback` of every step; runs once): undoes the journal newest first.
const rollBack = async (ctx: UpgradeContext, task: Wrapper): Promise<void> => {
  if (ctx.rollback) return;
  const failure = ctx.timings[ctx.timings.length - 1]?.title ?? "a step";
  const journal = need(ctx.journal, "journal");
  ctx.log.write(`rolling back the critical section (failed: ${failure})`);
  const problems = await undoRecords(journal.journal.undo, {
    config: ctx.config,
    paths: ctx.paths,
    fromVersion: ctx.currentManifest?.version,
    toVersion: need(ctx.manifest, "manifest").version,
    report: (line) => say(ctx, task, `rollback: ${line}`),
  });
  ctx.rollback = { ok: problems.length === 0, problems, failure };
  if (problems.length > 0) throw new ZopsError("ROLLBACK_FAILED", `rollback incomplete:\n  ${problems.join("\n  ")}`);
  await journal.close();
};

/**
 * The critical section: stop, write configs, restore point, migrate, switch, start, health gate. Each step journals its
 * undo before acting.
 */
export const criticalTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  step({
    title: "Open the upgrade journal",
    run: async (ctx) => {
      ctx.journal = await startJournal(ctx.paths.journal, {
        fromDeployment: ctx.links?.current,
        fromVersion: ctx.currentManifest?.version,
        toDeployment: need(ctx.deploymentPath, "deployment"),
        toVersion: need(ctx.manifest, "manifest").version,
      });
    },
  }),
  step({
    title: "Stop the service",
    skip: (ctx) =>
      !ctx.links?.current
        ? "no current deployment (first installation)"
        : !oldService(ctx)?.stop
          ? "no stop command (deploy.service.stop or the manifest's hooks.stop)"
          : false,
    run: async (ctx, task) => {
      const service = need(oldService(ctx), "old service");
      await need(ctx.journal, "journal").record({ kind: "service-stopped", deployment: ctx.links?.current });
      ctx.stoppedAt = performance.now();
      const ms = await runServiceCommand(need(service.stop, "stop"), env(ctx), service.timeoutMs, (line) =>
        say(ctx, task, line),
      );
      say(ctx, task, `stopped ${ctx.currentManifest?.version} in ${ms} ms`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Write config files",
    skip: (ctx) => (ctx.configChanges.length === 0 ? "the release ships no config files" : false),
    run: async (ctx, task) => {
      const manifest = need(ctx.manifest, "manifest");
      const writes: { path: string; content: Buffer; mode: number; uid?: number; gid?: number }[] = [];
      for (const change of ctx.configChanges) {
        const owner = await resolveOwner(change.owner, change.group);
        if (change.action === "install")
          writes.push({ path: change.path, content: change.shipped, mode: change.mode, ...owner });
        if (change.action === "keep-write-dist")
          writes.push({ path: `${change.path}.zops-dist`, content: change.shipped, mode: change.mode, ...owner });
        if (change.action === "replace-save-old") {
          const local = await readFile(change.path).catch(() => undefined);
          if (local) writes.push({ path: `${change.path}.zops-old`, content: local, mode: change.mode, ...owner });
          writes.push({ path: change.path, content: change.shipped, mode: change.mode, ...owner });
        }
      }
      const table = await readConffileTable(ctx.paths.conffileTable);
      const files = { ...table.files };
      for (const change of ctx.configChanges) {
        await storeShippedContent(ctx.paths.conffileStore, change.shippedSha, change.shipped);
        files[change.destination] = { sha256: change.shippedSha, version: manifest.version };
      }
      writes.push({
        path: ctx.paths.conffileTable,
        content: Buffer.from(formatConffileTable({ format: 1, files })),
        mode: 0o600,
      });
      const backups = await backupFiles(
        writes.map((write) => write.path),
        join(need(ctx.deploymentPath, "deployment"), ".zops", "replaced-files"),
      );
      await need(ctx.journal, "journal").record({ kind: "files", files: backups });
      for (const write of writes) await writeFileAtomic(write.path, write.content, write);
      say(ctx, task, `${writes.length - 1} file(s) written`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Take a database restore point",
    skip: (ctx) =>
      ctx.options.skipMigrations
        ? "--skip-migrations"
        : ctx.irreversible.length === 0
          ? "every pending migration has a down step"
          : false,
    run: async (ctx, task) => {
      const db = appDatabase(ctx.config);
      ctx.restorePoint = await createRestorePoint(
        db,
        ctx.paths.restorePoints,
        need(ctx.deploymentName, "deployment"),
        ctx.config.postgres.binDir,
      );
      say(ctx, task, `pg_dump of '${db.database}' -> ${ctx.restorePoint} (for ${ctx.irreversible.join(", ")})`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Run migrations",
    skip: (ctx) =>
      ctx.options.skipMigrations
        ? "--skip-migrations"
        : ctx.pendingMigrations.length === 0
          ? "no pending migrations"
          : false,
    run: async (ctx, task) => {
      const dir = join(need(ctx.deploymentPath, "deployment"), need(ctx.manifest?.migrations, "migrations dir"));
      await need(ctx.journal, "journal").record({
        kind: "migrations",
        dir,
        names: ctx.pendingMigrations,
        restorePoint: ctx.restorePoint,
      });
      ctx.ranMigrations = await migrateUp(
        appDatabase(ctx.config),
        dir,
        ctx.config.deploy.database.migrationsTable,
        (line) => say(ctx, task, line),
      );
      say(ctx, task, `applied ${ctx.ranMigrations.join(", ")}`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Switch current to the new deployment",
    run: async (ctx, task) => {
      await need(ctx.journal, "journal").record({ kind: "links", current: ctx.links?.current, last: ctx.links?.last });
      if (ctx.links?.current) await switchSymlink(ctx.paths.last, ctx.links.current);
      await switchSymlink(ctx.paths.current, need(ctx.deploymentPath, "deployment"));
      say(
        ctx,
        task,
        `current -> deployments/${ctx.deploymentName}${ctx.links?.current ? `, last -> ${ctx.links.current}` : ""}`,
      );
    },
    rollback: rollBack,
  }),
  step({
    title: "Start the service",
    skip: (ctx) =>
      !newService(ctx).start ? "no start command (deploy.service.start or the manifest's hooks.start)" : false,
    run: async (ctx, task) => {
      const service = newService(ctx);
      await need(ctx.journal, "journal").record({
        kind: "service-started",
        deployment: need(ctx.deploymentPath, "deployment"),
      });
      ctx.stoppedAt ??= performance.now();
      const ms = await runServiceCommand(need(service.start, "start"), env(ctx), service.timeoutMs, (line) =>
        say(ctx, task, line),
      );
      say(ctx, task, `started ${ctx.manifest?.version} in ${ms} ms`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Health check",
    skip: (ctx) =>
      !newService(ctx).health.url && !newService(ctx).health.command
        ? "no health check configured (deploy.health or the manifest's health)"
        : false,
    run: async (ctx, task) => {
      const health = newService(ctx).health;
      say(ctx, task, `waiting up to ${health.deadlineMs / 1000} s for ${health.url ?? health.command?.argv.join(" ")}`);
      const result = await waitHealthy(health);
      if (!result.healthy)
        throw new ZopsError(
          "ROLLED_BACK",
          `health check of ${ctx.manifest?.version} failed after ` +
            `${result.elapsedMs} ms (${result.attempts} attempts): ` +
            `${result.lastProblem}`,
        );
      ctx.healthyAt = performance.now();
      say(ctx, task, `healthy after ${result.elapsedMs} ms (${result.attempts} attempt(s))`);
    },
    rollback: rollBack,
  }),
  step({
    title: "Close the upgrade journal",
    run: async (ctx) => {
      ctx.healthyAt ??= performance.now();
      await need(ctx.journal, "journal").close();
    },
  }),
];
