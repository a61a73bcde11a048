import type { ZopsConfig } from "../../src/config/index.js";
import { appDatabase } from "../../src/deploy/database.js";
import { readDeploymentManifest } from "../../src/deploy/deployments.js";
import { restoreFiles } from "../../src/deploy/file-backup.js";
import type { UndoRecord } from "../../src/deploy/journal.js";
import { appliedMigrations, migrateDown } from "../../src/deploy/migrations.js";
import type { DeployPaths } from "../../src/deploy/paths.js";
import { hookEnv, releaseService } from "../../src/deploy/release-service.js";
import { restoreRestorePoint } from "../../src/deploy/restore-point.js";
import { runServiceCommand, waitHealthy } from "../../src/deploy/service.js";
import { restoreSymlink } from "../../src/deploy/symlink.js";
import { messageOf } from "../../src/errors/index.js";

/** What undoing needs to know. */
export interface UndoEnv {
  readonly config: ZopsConfig;
  readonly paths: DeployPaths;
  readonly fromVersion: string | undefined;
  readonly toVersion: string;
  /** Receives a line per undo step (task output and run log). */
  readonly report: (line: string) => void;
}

const serviceOf = async (env: UndoEnv, deployment: string) => {
  const manifest = await readDeploymentManifest(deployment);
  if (!manifest) throw new Error(`deployment '${deployment}' has no readable release manifest`);
  return { manifest, service: releaseService(env.config, env.paths, manifest, deployment) };
};

const undoOne = async (record: UndoRecord, env: UndoEnv): Promise<void> => {
  switch (record.kind) {
    case "service-started": {
      const { service } = await serviceOf(env, record.deployment);
      if (service.stop)
        await runServiceCommand(
          service.stop,
          hookEnv(env.fromVersion, env.toVersion, record.deployment),
          service.timeoutMs,
        );
      env.report(`stopped the new service (${record.deployment})`);
      return;
    }
    case "links":
      await restoreSymlink(env.paths.current, record.current);
      await restoreSymlink(env.paths.last, record.last);
      env.report(`current -> ${record.current ?? "(none)"}, last -> ${record.last ?? "(none)"}`);
      return;
    case "migrations": {
      const db = appDatabase(env.config);
      const table = env.config.deploy.database.migrationsTable;
      const applied = new Set(await appliedMigrations(db, table));
      const ran = record.names.filter((name) => applied.has(name));
      if (ran.length === 0) return env.report("no migration of this run is applied: database unchanged");
      if (record.restorePoint) {
        await restoreRestorePoint(db, record.restorePoint, env.config.postgres.binDir);
        return env.report(`database '${db.database}' restored from the restore point ${record.restorePoint}`);
      }
      const reverted = await migrateDown(db, record.dir, table, ran.length, (line) => env.report(line));
      return env.report(`reverted migrations ${reverted.join(", ")}`);
    }
    case "files":
      await restoreFiles(record.files);
      env.report(`restored ${record.files.length} file(s)`);
      return;
    case "service-stopped": {
      if (!record.deployment) return;
      const { manifest, service } = await serviceOf(env, record.deployment);
      if (service.start)
        await runServiceCommand(
          service.start,
          hookEnv(env.toVersion, manifest.version, record.deployment),
          service.timeoutMs,
        );
      const health = await waitHealthy(service.health);
      if (!health.healthy)
        throw new Error(`the old release ${manifest.version} started but is not healthy: ${health.lastProblem}`);
      env.report(`old release ${manifest.version} started and healthy (${health.elapsedMs} ms)`);
      return;
    }
  }
};

/**
 * Undoes journal records newest first; every step is attempted even after one fails; returns the failures (empty: fully
 * rolled back).
 */
export const undoRecords = async (records: readonly UndoRecord[], env: UndoEnv): Promise<string[]> => {
  const problems: string[] = [];
  for (const record of [...records].reverse()) {
    try {
      await undoOne(record, env);
    } catch (error) {
      const problem = `undo ${record.kind} failed: ${messageOf(error)}`;
      problems.push(problem);
      env.report(problem);
    }
  }
  return problems;
};
