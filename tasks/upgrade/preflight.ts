import { mkdir, readFile } from "node:fs/promises";
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
import { inspectRelease, unpackRelease } from "../../src/deploy/release/read-release.js";
import { refuseSharedTarget } from "../../src/deploy/shared-links.js";
import { compareVersions } from "../../src/deploy/version.js";
import { ZopsError } from "../../src/errors/index.js";
import { withPostgres } from "../../src/pg/connect.js";
import { formatBytes } from "../../src/ui/output.js";
import type { UpgradeContext } from "./context.js";
import { lockTask } from "./lock.js";
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
const blockedBeforeUnpack = (ctx: UpgradeContext) => !ctx.options.plan && !ctx.staging;
const migrationsDirIn = (ctx: UpgradeContext) => manifestOf(ctx).migrations;

// Reads a file of the new release: from the unpacked deployment, or (plan) from the tarball's collected bodies.
const readReleaseFile = async (ctx: UpgradeContext, path: string): Promise<Buffer> => {
  if (ctx.staging && !ctx.options.plan) return readFile(join(ctx.staging, path));
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
  lockTask<UpgradeContext>((ctx) => `zops upgrade ${ctx.tarball}`),
  recoverTask<UpgradeContext>(),
  step<UpgradeContext>({
    title: "Check the release tarball",
    run: async (ctx, task) => {
      ctx.summary = await inspectRelease(ctx.tarball, limitsOf(ctx));
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
        ctx.summary = await inspectRelease(
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
  step<UpgradeContext>({
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
  step<UpgradeContext>({
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
  step<UpgradeContext>({
    title: "Check shared directories",
    skip: (ctx) => (manifestOf(ctx).shared.length === 0 ? "the release has no shared directories" : false),
    run: async (ctx, task) => {
      for (const dir of manifestOf(ctx).shared) {
        const why = ctx.summary?.tree.refuseSharedPath(dir) ?? (await refuseSharedTarget(ctx.paths.shared, dir));
        if (why) ctx.blockers.push(why);
      }
      say(ctx, task, manifestOf(ctx).shared.join(", "));
    },
  }),
  step<UpgradeContext>({
    title: "Unpack the release into staging",
    skip: (ctx) => (ctx.options.plan ? "--plan writes nothing" : ctx.blockers.length > 0 ? "blocked" : false),
    run: async (ctx, task) => {
      const inspected = ctx.summary;
      await mkdir(ctx.paths.state, { recursive: true, mode: 0o755 });
      await mkdir(ctx.paths.staging, { recursive: true, mode: 0o700 });
      ctx.staging = join(ctx.paths.staging, ctx.runId);
      ctx.summary = await unpackRelease(ctx.tarball, limitsOf(ctx), ctx.staging);
      if (ctx.summary.entries !== inspected?.entries || ctx.summary.unpackedBytes !== inspected.unpackedBytes)
        throw new ZopsError("PRECONDITION", `release tarball '${ctx.tarball}' changed while it was being read`, {
          hint: "do not modify the tarball during an upgrade; run the upgrade again",
        });
      ctx.deploymentName = deploymentName(new Date(), new Set(await deploymentNames(ctx.paths)));
      ctx.deploymentPath = join(ctx.paths.deployments, ctx.deploymentName);
      say(ctx, task, `${ctx.summary.entries} entries verified in ${ctx.staging}`);
    },
  }),
  step<UpgradeContext>({
    title: "Render config templates and check drift",
    skip: (ctx) =>
      blockedBeforeUnpack(ctx)
        ? "blocked (see above)"
        : manifestOf(ctx).configs.length === 0
          ? "the release ships no config files"
          : false,
    run: async (ctx, task) => {
      const manifest = manifestOf(ctx);
      const deployment = join(ctx.paths.deployments, ctx.deploymentName ?? "<new>");
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
  step<UpgradeContext>({
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
        ctx.staging && !ctx.options.plan
          ? await listMigrationFiles(join(ctx.staging, dir))
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
  step<UpgradeContext>({
    title: "Check the last backup",
    run: async (ctx, task) => {
      ctx.backup = await checkBackupFreshness(ctx.catalog, ctx.config.deploy.backup);
      if (ctx.backup.status === "blocked") ctx.blockers.push(`${ctx.backup.message} (deploy.backup.policy is require)`);
      if (ctx.backup.status === "warn") ctx.notes.push(`warning: ${ctx.backup.message}`);
      say(ctx, task, `${ctx.backup.status}: ${ctx.backup.message}`);
    },
  }),
];
