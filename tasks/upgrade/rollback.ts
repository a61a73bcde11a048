import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ListrTask } from "listr2";
import { readConffileTable } from "../../src/deploy/conffile-table.js";
import { type ConfigChange, planConfigs } from "../../src/deploy/config-plan.js";
import { writeConfigChanges } from "../../src/deploy/config-write.js";
import { appDatabase } from "../../src/deploy/database.js";
import { recordDeploymentStatus } from "../../src/deploy/deployment-status.js";
import { readDeploymentManifest, readLinks } from "../../src/deploy/deployments.js";
import { sessionTag, startJournal } from "../../src/deploy/journal.js";
import { appliedMigrations, hasDownMigration, listMigrationFiles, migrateDown } from "../../src/deploy/migrations.js";
import type { ReleaseManifest } from "../../src/deploy/release-manifest.js";
import { hookEnv, releaseService, releaseVars } from "../../src/deploy/release-service.js";
import { dropReplacedDatabase, removeRestorePoint, restoreRestorePoint } from "../../src/deploy/restore-point.js";
import { runServiceCommand } from "../../src/deploy/service.js";
import { switchSymlink } from "../../src/deploy/symlink.js";
import { ZopsError } from "../../src/errors/index.js";
import { formatDuration } from "../../src/ui/output.js";
import type { DeployRun } from "./context.js";
import { healthStep, rollbackStep } from "./critical-common.js";
import { decideTask } from "./decide.js";
import { lockTask } from "./lock.js";
import { recoverTask } from "./recover.js";
import { downtimeMs, formatTimings } from "./report.js";
import { group, say, step } from "./step.js";

/** State of `zops rollback` (switch back to `last`). */
export interface RollbackContext extends DeployRun {
  readonly command: "rollback";
  /** --migrations: keep (default: the database stays as it is) or down (revert what `to` does not know). */
  readonly migrations: "keep" | "down";
  current?: string;
  last?: string;
  from?: ReleaseManifest;
  to?: ReleaseManifest;
  /** Applied migrations the target release does not ship, newest last. */
  newer: string[];
  /** The target release's config files as it installs them (rendered from its deployment). */
  configChanges: ConfigChange[];
  /** How the database goes back: down steps, the restore point, or not at all. */
  database?: { kind: "down"; dir: string } | { kind: "restore-point"; file: string } | { kind: "keep" };
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new ZopsError("INTERNAL", `${what} missing before the rollback's critical section`);
  return value;
};
const env = (ctx: RollbackContext) =>
  hookEnv(need(ctx.from, "from").version, need(ctx.to, "to").version, need(ctx.last, "last"));
const what = (ctx: RollbackContext) => `rollback ${ctx.from?.version ?? "?"} -> ${ctx.to?.version ?? "?"}`;

const planText = (ctx: RollbackContext): string => {
  const database = ctx.database;
  return [
    `Rollback plan: ${ctx.from?.name ?? "?"} ${ctx.from?.version ?? "?"} -> ${ctx.to?.version ?? "?"}`,
    `  stop ${ctx.from?.version ?? "?"}, current -> ${ctx.last ?? "?"}, last -> ${ctx.current ?? "?"}, ` +
      `start ${ctx.to?.version ?? "?"}, health check`,
    `  database: ${
      !ctx.newer.length
        ? "nothing to revert"
        : database?.kind === "down"
          ? `run the down steps of ${[...ctx.newer].reverse().join(", ")}`
          : database?.kind === "restore-point"
            ? `restore the restore point ${database.file} (taken before ${ctx.newer.join(", ")})`
            : `kept as it is (${ctx.newer.join(", ")} stay applied; --migrations down reverts them)`
    }`,
    `  configs: ${ctx.configChanges.filter((change) => change.action !== "none").length} file(s) written as ` +
      `${ctx.to?.version ?? "?"} installs them`,
    ...ctx.notes.map((note) => `Note: ${note}`),
    ...(ctx.blockers.length ? ["BLOCKED:", ...ctx.blockers.map((blocker) => `  - ${blocker}`)] : []),
  ].join("\n");
};

const preflight = (): ListrTask<RollbackContext, any, any>[] => [
  lockTask<RollbackContext>(() => "zops rollback"),
  recoverTask<RollbackContext>(),
  step<RollbackContext>({
    title: "Read the deployments",
    run: async (ctx, task) => {
      if (ctx.recovered) {
        ctx.outcome = {
          text: [...ctx.notes, `rolled back the interrupted ${ctx.recovered}`].join("\n"),
          json: { ok: true, recovered: ctx.recovered, notes: ctx.notes },
        };
        return;
      }
      const links = await readLinks(ctx.paths);
      ctx.current = links.current;
      ctx.last = links.last;
      if (!links.current || !links.last)
        throw new ZopsError(
          "NOT_FOUND",
          `no deployment to roll back to: ${!links.current ? "current" : "last"} is not set under ` +
            ctx.paths.deployments,
          { hint: "`zops deployments` lists what exists" },
        );
      ctx.from = await readDeploymentManifest(links.current);
      ctx.to = await readDeploymentManifest(links.last);
      if (!ctx.from || !ctx.to)
        throw new ZopsError(
          "NOT_FOUND",
          `deployment ${!ctx.from ? links.current : links.last} has no readable manifest`,
        );
      say(ctx, task, `${ctx.from.version} (${basename(links.current)}) -> ${ctx.to.version} (${basename(links.last)})`);
    },
  }),
  step<RollbackContext>({
    title: "Plan the database",
    skip: (ctx) => (ctx.outcome ? "recovered instead" : false),
    run: async (ctx, task) => {
      const from = need(ctx.from, "from");
      const to = need(ctx.to, "to");
      const shipped = new Set(
        to.migrations ? (await listMigrationFiles(join(need(ctx.last, "last"), to.migrations))).map((f) => f.name) : [],
      );
      const applied = from.migrations
        ? await appliedMigrations(appDatabase(ctx.config), ctx.config.deploy.database.migrationsTable)
        : [];
      ctx.newer = applied.filter((name) => !shipped.has(name));
      const behind = [...shipped].filter((name) => from.migrations && !applied.includes(name));
      if (behind.length)
        ctx.blockers.push(
          `the database lacks migration(s) ${behind.join(", ")} of ${to.version}: ` +
            `rolling "back" would start it on an older schema (use \`zops upgrade\` with its tarball)`,
        );
      ctx.database = { kind: "keep" };
      if (ctx.newer.length && ctx.migrations === "keep")
        ctx.notes.push(
          `warning: the database keeps migrations of ${from.version} that ${to.version} does not know ` +
            `(${ctx.newer.join(", ")}); pass --migrations down to revert them`,
        );
      if (ctx.newer.length && ctx.migrations === "down") {
        const dir = join(need(ctx.current, "current"), from.migrations ?? "migrations");
        const files = new Map((await listMigrationFiles(dir)).map((file) => [file.name, file.file]));
        const missing: string[] = [];
        for (const name of ctx.newer) {
          const file = files.get(name);
          const source = file ? await readFile(join(dir, file), "utf8").catch(() => "") : "";
          if (!file || !hasDownMigration(file, source)) missing.push(name);
        }
        const dump = join(ctx.paths.restorePoints, `${basename(need(ctx.current, "current"))}.dump`);
        if (missing.length === 0) ctx.database = { kind: "down", dir };
        else if (
          await stat(dump).then(
            () => true,
            () => false,
          )
        )
          ctx.database = { kind: "restore-point", file: dump };
        else
          ctx.blockers.push(
            `migration(s) ${missing.join(", ")} have no down step and no restore point of ${from.version} exists`,
          );
      }
      say(ctx, task, ctx.newer.length ? `newer migrations: ${ctx.newer.join(", ")}` : "nothing to revert");
    },
  }),
  planConfigsStep(),
];

const planConfigsStep = (): ListrTask<RollbackContext, any, any> =>
  step<RollbackContext>({
    title: "Render the previous release's config files",
    skip: (ctx) => (ctx.outcome ? "recovered instead" : !ctx.to?.configs.length ? "it ships no config files" : false),
    run: async (ctx, task) => {
      const to = need(ctx.to, "to");
      const last = need(ctx.last, "last");
      ctx.configChanges = await planConfigs({
        manifest: to,
        readTemplate: (path) => readFile(join(last, path)),
        vars: releaseVars(ctx.config, ctx.paths, to, last),
        configDir: ctx.paths.configDir,
        table: await readConffileTable(ctx.paths.conffileTable),
        store: ctx.paths.conffileStore,
        policy: "fail",
        installedVersion: ctx.from?.version,
      });
      for (const change of ctx.configChanges.filter((entry) => entry.action === "blocked"))
        ctx.blockers.push(
          `config file ${change.path} was edited locally and differs in ${to.version} (${change.kind}); ` +
            "merge it by hand or restore what zops installed (`zops drift --diff`)",
        );
      say(ctx, task, `${ctx.configChanges.filter((change) => change.action !== "none").length} to write`);
    },
  });

const critical = (): ListrTask<RollbackContext, any, any>[] => [
  step<RollbackContext>({
    title: "Open the rollback journal",
    point: "journal",
    run: async (ctx) => {
      ctx.journal = await startJournal(ctx.paths.journal, {
        runId: ctx.runId,
        command: "rollback",
        fromDeployment: need(ctx.current, "current"),
        fromVersion: need(ctx.from, "from").version,
        toDeployment: need(ctx.last, "last"),
        toVersion: need(ctx.to, "to").version,
      });
    },
  }),
  step<RollbackContext>({
    title: "Stop the current release",
    point: "stop",
    critical: true,
    run: async (ctx, task) => {
      const service = releaseService(ctx.config, ctx.paths, need(ctx.from, "from"), need(ctx.current, "current"));
      await need(ctx.journal, "journal").record({ kind: "service-stopped", deployment: ctx.current });
      ctx.stoppedAt = performance.now();
      if (service.stop) await runServiceCommand(service.stop, env(ctx), service.timeoutMs);
      say(ctx, task, `stopped ${ctx.from?.version}`);
    },
  }),
  step<RollbackContext>({
    title: "Write the previous release's config files",
    point: "configs",
    critical: true,
    skip: (ctx) => (ctx.configChanges.length === 0 ? "no config files" : false),
    run: async (ctx, task) => {
      const count = await writeConfigChanges(
        ctx.configChanges,
        need(ctx.to, "to").version,
        ctx.paths,
        join(need(ctx.current, "current"), ".zops", `replaced-files-${ctx.runId}`),
        need(ctx.journal, "journal"),
      );
      say(ctx, task, `${count} file(s) written`);
    },
  }),
  step<RollbackContext>({
    title: "Revert the database",
    point: "database",
    critical: true,
    skip: (ctx) =>
      ctx.database?.kind === "keep" || !ctx.database ? "--migrations keep (or nothing to revert)" : false,
    run: async (ctx, task) => {
      const journal = need(ctx.journal, "journal");
      const database = need(ctx.database, "database plan");
      const db = appDatabase(ctx.config);
      if (database.kind === "restore-point") {
        await journal.record({ kind: "restore-point-restored", file: database.file });
        await restoreRestorePoint(db, database.file, {
          runId: ctx.runId,
          tag: sessionTag(ctx.runId),
          binDir: ctx.config.postgres.binDir,
          keepReplaced: true,
          onPhase: async () => undefined,
        });
        return say(ctx, task, `database '${db.database}' restored from ${database.file}`);
      }
      if (database.kind !== "down") return;
      const record = {
        kind: "migrations" as const,
        direction: "down" as const,
        dir: database.dir,
        names: ctx.newer,
        restorePoint: undefined,
      };
      await journal.record(record);
      const reverted = await migrateDown(
        {
          db,
          dir: database.dir,
          table: ctx.config.deploy.database.migrationsTable,
          tag: sessionTag(ctx.runId),
          crashPrefix: "rollback.migrations",
          onTransaction: (xid) => journal.amendLast({ ...record, xid }),
          onLine: (line) => say(ctx, task, line),
        },
        ctx.newer.length,
      );
      say(ctx, task, `reverted ${reverted.join(", ")}`);
    },
  }),
  step<RollbackContext>({
    title: "Switch current back to last",
    point: "switch",
    critical: true,
    run: async (ctx, task) => {
      await need(ctx.journal, "journal").record({ kind: "links", current: ctx.current, last: ctx.last });
      await switchSymlink(ctx.paths.current, need(ctx.last, "last"));
      await switchSymlink(ctx.paths.last, need(ctx.current, "current"));
      say(ctx, task, `current -> ${ctx.last}, last -> ${ctx.current}`);
    },
  }),
  step<RollbackContext>({
    title: "Start the previous release",
    point: "start",
    critical: true,
    run: async (ctx, task) => {
      const service = releaseService(ctx.config, ctx.paths, need(ctx.to, "to"), need(ctx.last, "last"));
      await need(ctx.journal, "journal").record({ kind: "service-started", deployment: need(ctx.last, "last") });
      if (service.start) await runServiceCommand(service.start, env(ctx), service.timeoutMs);
      say(ctx, task, `started ${ctx.to?.version}`);
    },
  }),
  healthStep<RollbackContext>(
    (ctx) => releaseService(ctx.config, ctx.paths, need(ctx.to, "to"), need(ctx.last, "last")),
    (ctx) => ctx.to?.version,
  ),
  rollbackStep<RollbackContext>(what),
  step<RollbackContext>({
    title: "Close the rollback journal",
    point: "close",
    run: async (ctx) => {
      ctx.healthyAt ??= performance.now();
      await need(ctx.journal, "journal").close();
    },
  }),
];

const finish = (): ListrTask<RollbackContext, any, any>[] => [
  step<RollbackContext>({
    title: "Record statuses and drop the replaced database",
    point: "finish",
    run: async (ctx) => {
      await recordDeploymentStatus(need(ctx.current, "current"), "rolled-back");
      if (ctx.database?.kind === "restore-point") {
        await dropReplacedDatabase(appDatabase(ctx.config), ctx.runId, sessionTag(ctx.runId));
        await removeRestorePoint(ctx.database.file);
      }
      const downtime = downtimeMs(ctx);
      const text = [
        `rolled back ${ctx.from?.name} ${ctx.from?.version} -> ${ctx.to?.version}`,
        `downtime: ${downtime === undefined ? "n/a" : formatDuration(downtime)} (stop to healthy)`,
        ...ctx.notes,
        formatTimings(ctx),
      ].join("\n");
      ctx.log.write(text);
      ctx.outcome = {
        text,
        json: {
          ok: true,
          from: ctx.from?.version,
          to: ctx.to?.version,
          downtimeMs: downtime,
          database: ctx.database?.kind,
          reverted: ctx.database?.kind === "keep" ? [] : ctx.newer,
          notes: ctx.notes,
        },
      };
    },
  }),
];

/** `zops rollback` as one tree: preflight (recovery first) -> plan | confirm -> critical (journaled) -> finish. */
export const rollbackTasks = (): ListrTask<RollbackContext, any, any>[] => [
  group("Preflight", preflight),
  group("Plan and confirm", () => [
    decideTask<RollbackContext>({
      what,
      text: planText,
      json: (ctx) => ({
        from: ctx.from?.version,
        to: ctx.to?.version,
        newerMigrations: ctx.newer,
        database: ctx.database,
        notes: ctx.notes,
        blockers: ctx.blockers,
      }),
      hasChanges: () => true,
      unchanged: () => ({ text: "", json: {} }),
      question: (ctx) => `Stop ${ctx.from?.version} and switch back to ${ctx.to?.version}?`,
    }),
  ]),
  group("Critical section", critical),
  group("Finish", finish),
];
