import { mkdir, readFile, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import type { ListrTask } from "listr2";
import { checkBackupFreshness } from "../../src/deploy/backup-freshness.js";
import { readConffileTable } from "../../src/deploy/conffile-table.js";
import { planConfigs } from "../../src/deploy/config-plan.js";
import { appDatabase } from "../../src/deploy/database.js";
import { deploymentName, deploymentNames, readDeploymentManifest, readLinks } from "../../src/deploy/deployments.js";
import { freeBytes } from "../../src/fsio/free-bytes.js";
import {
  appliedMigrations,
  hasDownMigration,
  listMigrationFiles,
  migrationFilesOf,
} from "../../src/deploy/migrations.js";
import { MANIFEST_NAME, parseReleaseManifest } from "../../src/deploy/release-manifest.js";
import { releaseVars } from "../../src/deploy/release-service.js";
import { switchSymlink } from "../../src/deploy/symlink.js";
import { extractRelease } from "../../src/deploy/tarball-extract.js";
import { inspectTarball } from "../../src/deploy/tarball-inspect.js";
import { compareVersions } from "../../src/deploy/version.js";
import { ZopsError } from "../../src/errors/index.js";
import { acquireLock, liveLockHolder as lockHolder } from "../../src/lock/lock-file.js";
import { withPostgres } from "../../src/pg/connect.js";
import { formatBytes } from "../../src/ui/output.js";
import type { UpgradeContext } from "./context.js";
import { recoverTask } from "./recover.js";
import { say, step } from "./step.js";

const MB = 1024 * 1024;
const limitsOf = (ctx: UpgradeContext) => ({
  maxUnpackedBytes: ctx.config.deploy.tarball.maxUnpackedMb * MB,
  maxFiles: ctx.config.deploy.tarball.maxFiles,
});
const manifestOf = (ctx: UpgradeContext) => {
  if (!ctx.manifest) throw new ZopsError("INTERNAL", "release manifest not read yet");
  return ctx.manifest;
};
// A real run that was blocked before unpacking has no release files to read further.
const blockedBeforeUnpack = (ctx: UpgradeContext) => !ctx.options.plan && !ctx.deploymentPath;
const migrationsDirIn = (ctx: UpgradeContext) => manifestOf(ctx).migrations;

// Reads a file of the new release: from the unpacked deployment, or (plan) from the tarball's collected bodies.
const readReleaseFile = async (ctx: UpgradeContext, path: string): Promise<Buffer> => {
  if (ctx.deploymentPath && !ctx.options.plan) return readFile(join(ctx.deploymentPath, path));
  const body = ctx.summary?.files.get(path);
  if (!body)
    throw new ZopsError(
      "PRECONDITION",
      `release tarball '${ctx.tarball}' has no file '${path}' (named by its manifest)`,
    );
  return body;
};

/** The preflight graph: everything that can be checked while the service still runs (plan mode writes nothing). */
export const preflightTasks = (): ListrTask<UpgradeContext, any, any>[] => [
  step({
    title: "Take the upgrade lock",
    run: async (ctx, task) => {
      if (ctx.options.plan) {
        const holder = await lockHolder(ctx.paths.lock);
        if (holder)
          ctx.blockers.push(
            `lock '${ctx.paths.lock}' is held by '${holder.command}' (pid ` +
              `${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
          );
        return;
      }
      ctx.lock = await acquireLock(ctx.paths.lock, `zops upgrade ${ctx.tarball}`);
      const stale = ctx.lock.recoveredFrom;
      if (stale) {
        const note =
          `recovered a stale lock of '${stale.command}' (pid ${stale.pid} ` +
          `on ${stale.host}, since ${stale.startedAt}): that process is gone`;
        ctx.notes.push(note);
        say(ctx, task, note);
      }
    },
  }),
  recoverTask(),
  step({
    title: "Check the release tarball",
    run: async (ctx, task) => {
      ctx.summary = await inspectTarball(ctx.tarball, limitsOf(ctx));
      const text = ctx.summary.files.get(MANIFEST_NAME);
      if (!text)
        throw new ZopsError(
          "PRECONDITION",
          `release tarball '${ctx.tarball}' has no ${ctx.summary.top}/${MANIFEST_NAME}`,
          { hint: "see docs/release-format.md" },
        );
      ctx.manifest = parseReleaseManifest(text.toString("utf8"), `${ctx.tarball}:${ctx.summary.top}/${MANIFEST_NAME}`);
      if (ctx.options.plan) {
        const wanted = new Set(ctx.manifest.configs.map((entry) => entry.template));
        const migrations = ctx.manifest.migrations;
        ctx.summary = await inspectTarball(
          ctx.tarball,
          limitsOf(ctx),
          (path) =>
            path === MANIFEST_NAME ||
            wanted.has(path) ||
            (migrations !== undefined && posix.dirname(path) === migrations),
        );
      }
      say(
        ctx,
        task,
        `${ctx.manifest.name} ${ctx.manifest.version}: ` +
          `${ctx.summary.entries} entries, ` +
          `${formatBytes(ctx.summary.unpackedBytes)} unpacked`,
      );
    },
  }),
  step({
    title: "Compare versions",
    run: async (ctx, task) => {
      const manifest = manifestOf(ctx);
      ctx.links = await readLinks(ctx.paths);
      ctx.currentManifest = ctx.links.current ? await readDeploymentManifest(ctx.links.current) : undefined;
      const current = ctx.currentManifest;
      if (!current) return say(ctx, task, `first installation of ${manifest.name} ${manifest.version}`);
      if (current.name !== manifest.name)
        ctx.blockers.push(`release is '${manifest.name}' but the current deployment runs '${current.name}'`);
      const order = compareVersions(manifest.version, current.version);
      if (order < 0 && !ctx.options.allowDowngrade)
        ctx.blockers.push(
          `${manifest.version} is older than the current ` +
            `${current.version} (a downgrade; pass --allow-downgrade to force it)`,
        );
      say(
        ctx,
        task,
        `${current.version} -> ${manifest.version}${order === 0 ? " (same version)" : order < 0 ? " (downgrade)" : ""}`,
      );
    },
  }),
  step({
    title: "Check free disk space",
    run: async (ctx, task) => {
      ctx.diskNeeded = (ctx.summary?.unpackedBytes ?? 0) + ctx.config.deploy.diskMarginMb * MB;
      ctx.diskFree = await freeBytes(ctx.paths.deployments);
      if (ctx.diskFree < ctx.diskNeeded)
        ctx.blockers.push(
          `not enough free disk space under ${ctx.paths.root}: ` +
            `${formatBytes(ctx.diskFree)} free, ` +
            `${formatBytes(ctx.diskNeeded)} needed (release + ` +
            `deploy.diskMarginMb)`,
        );
      say(ctx, task, `${formatBytes(ctx.diskFree)} free, ${formatBytes(ctx.diskNeeded)} needed`);
    },
  }),
  step({
    title: "Unpack the release",
    skip: (ctx) => (ctx.options.plan ? "--plan writes nothing" : ctx.blockers.length > 0 ? "blocked" : false),
    run: async (ctx, task) => {
      const manifest = manifestOf(ctx);
      await mkdir(ctx.paths.deployments, { recursive: true, mode: 0o755 });
      ctx.deploymentName = deploymentName(new Date(), new Set(await deploymentNames(ctx.paths)));
      ctx.deploymentPath = join(ctx.paths.deployments, ctx.deploymentName);
      if (!ctx.summary) throw new ZopsError("INTERNAL", "tarball not inspected");
      await extractRelease(ctx.tarball, ctx.deploymentPath, ctx.summary);
      for (const dir of manifest.shared) {
        await mkdir(join(ctx.paths.shared, dir), { recursive: true, mode: 0o755 });
        await rm(join(ctx.deploymentPath, dir), { recursive: true, force: true });
        await mkdir(join(ctx.deploymentPath, posix.dirname(dir)), { recursive: true });
        await symlink(join(ctx.paths.shared, dir), join(ctx.deploymentPath, dir));
      }
      ctx.previousNext = ctx.links?.next;
      await switchSymlink(ctx.paths.next, ctx.deploymentPath);
      say(ctx, task, `deployments/${ctx.deploymentName} (next)`);
    },
    rollback: async (ctx) => {
      if (ctx.deploymentPath) await rm(ctx.deploymentPath, { recursive: true, force: true });
    },
  }),
  step({
    title: "Render config templates and check drift",
    skip: (ctx) =>
      blockedBeforeUnpack(ctx)
        ? "blocked (see above)"
        : manifestOf(ctx).configs.length === 0
          ? "the release ships no config files"
          : false,
    run: async (ctx, task) => {
      const manifest = manifestOf(ctx);
      const deployment = ctx.deploymentPath ?? join(ctx.paths.deployments, "<new>");
      ctx.configChanges = await planConfigs({
        manifest,
        readTemplate: (path) => readReleaseFile(ctx, path),
        vars: releaseVars(ctx.config, ctx.paths, manifest, deployment),
        configDir: ctx.paths.configDir,
        table: await readConffileTable(ctx.paths.conffileTable),
        store: ctx.paths.conffileStore,
        policy: ctx.options.configPolicy,
        installedVersion: ctx.currentManifest?.version,
      });
      for (const change of ctx.configChanges.filter((entry) => entry.action === "blocked")) {
        ctx.blockers.push(
          `config file ${change.path} was edited locally and also changed ` +
            `in ${manifest.version} (${change.kind}); pass --config-policy ` +
            `keep or replace, or merge it by hand`,
        );
      }
      const counts = new Map<string, number>();
      for (const change of ctx.configChanges) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
      say(ctx, task, [...counts].map(([kind, count]) => `${count} ${kind}`).join(", "));
    },
  }),
  step({
    title: "Find pending migrations",
    skip: (ctx) =>
      blockedBeforeUnpack(ctx)
        ? "blocked (see above)"
        : !migrationsDirIn(ctx)
          ? "the release has no migrations directory"
          : false,
    run: async (ctx, task) => {
      const dir = migrationsDirIn(ctx) ?? "";
      ctx.migrations =
        ctx.deploymentPath && !ctx.options.plan
          ? await listMigrationFiles(join(ctx.deploymentPath, dir))
          : migrationFilesOf(
              (ctx.summary?.paths ?? [])
                .filter((path) => posix.dirname(path) === dir)
                .map((path) => posix.basename(path)),
            );
      const db = appDatabase(ctx.config);
      const applied = await appliedMigrations(db, ctx.config.deploy.database.migrationsTable);
      const shipped = new Set(ctx.migrations.map((migration) => migration.name));
      const unknown = applied.filter((name) => !shipped.has(name));
      if (unknown.length > 0 && !ctx.options.allowDowngrade)
        ctx.blockers.push(
          `database '${db.database}' has migrations this release does not ` +
            `ship (${unknown.join(", ")}): it belongs to a newer release`,
        );
      const done = new Set(applied);
      ctx.pendingMigrations = ctx.migrations
        .filter((migration) => !done.has(migration.name))
        .map((migration) => migration.name);
      ctx.irreversible = [];
      for (const migration of ctx.migrations.filter((entry) => !done.has(entry.name))) {
        const source = (await readReleaseFile(ctx, posix.join(dir, migration.file))).toString("utf8");
        if (!hasDownMigration(migration.file, source)) ctx.irreversible.push(migration.name);
      }
      if (ctx.irreversible.length > 0 && !ctx.options.skipMigrations) {
        const size = await withPostgres(db, async (client) =>
          Number(
            (await client.query<{ size: string }>("SELECT pg_database_size(current_database())::text AS size")).rows[0]
              ?.size ?? 0,
          ),
        );
        ctx.diskNeeded = (ctx.diskNeeded ?? 0) + size;
        if ((ctx.diskFree ?? 0) < ctx.diskNeeded)
          ctx.blockers.push(
            `not enough free disk space for the restore point of ` +
              `'${db.database}': ${formatBytes(ctx.diskFree ?? 0)} free, ` +
              `${formatBytes(ctx.diskNeeded)} needed`,
          );
      }
      say(
        ctx,
        task,
        ctx.pendingMigrations.length === 0
          ? "none pending"
          : `${ctx.pendingMigrations.length} pending` +
              (ctx.irreversible.length
                ? ` (${ctx.irreversible.length} without a down step: a restore point will be taken)`
                : "") +
              (ctx.options.skipMigrations ? " (skipped: --skip-migrations)" : ""),
      );
    },
  }),
  step({
    title: "Check the last backup",
    run: async (ctx, task) => {
      ctx.backup = await checkBackupFreshness(ctx.catalog, ctx.config.deploy.backup);
      if (ctx.backup.status === "blocked") ctx.blockers.push(`${ctx.backup.message} (deploy.backup.policy is require)`);
      if (ctx.backup.status === "warn") ctx.notes.push(`warning: ${ctx.backup.message}`);
      say(ctx, task, `${ctx.backup.status}: ${ctx.backup.message}`);
    },
  }),
];
