import type { ZopsConfig } from "../config/index.js";
import { messageOf } from "../errors/index.js";
import { crashPoint } from "../fault/crash-point.js";
import { appDatabase } from "./database.js";
import { recordDeploymentStatus } from "./deployment-status.js";
import { readDeploymentManifest } from "./deployments.js";
import { restoreFiles } from "./file-backup.js";
import { type JournalWriter, sessionTag, type UndoRecord } from "./journal.js";
import { migrateDown, migrateUp, settleTransaction, type MigrationRun } from "./migrations.js";
import type { DeployPaths } from "./paths.js";
import { hookEnv, releaseService } from "./release-service.js";
import { removeRestorePoint, restoreRestorePoint, undoRestore } from "./restore-point.js";
import { runServiceCommand, waitHealthy } from "./service.js";
import { readSymlink, restoreSymlink } from "./symlink.js";

/** What undoing a journal needs. */
export interface UndoEnv {
  readonly config: ZopsConfig;
  readonly paths: DeployPaths;
  /** The journal being undone (its progress is persisted step by step). */
  readonly journal: JournalWriter;
  /** application_name of this process's own database sessions. */
  readonly tag: string;
  /** Crash-point prefix ("upgrade.undo", "recover.undo"...). */
  readonly crashPrefix: string;
  /** Receives a line per undo step (task output and run log). */
  readonly report: (line: string) => void;
}

const serviceOf = async (env: UndoEnv, deployment: string) => {
  const manifest = await readDeploymentManifest(deployment);
  if (!manifest) throw new Error(`deployment '${deployment}' has no readable release manifest`);
  return { manifest, service: releaseService(env.config, env.paths, manifest, deployment) };
};

const migrationRun = (env: UndoEnv, dir: string, index: number): MigrationRun => ({
  db: appDatabase(env.config),
  dir,
  table: env.config.deploy.database.migrationsTable,
  tag: env.tag,
  crashPrefix: `${env.crashPrefix}.migrations`,
  onTransaction: (xid) => env.journal.progress({ index, xid }),
  onLine: env.report,
});

// Whether this undo's own migration transaction (journaled before a kill) already committed.
const ownTransactionCommitted = async (env: UndoEnv, index: number): Promise<boolean> => {
  const xid = env.journal.journal.undoing?.index === index ? env.journal.journal.undoing.xid : undefined;
  if (!xid) return false;
  return (await settleTransaction(appDatabase(env.config), xid, sessionTag(env.journal.journal.runId))) === "committed";
};

const restore = async (env: UndoEnv, file: string, index: number): Promise<void> => {
  const db = appDatabase(env.config);
  const undoing = env.journal.journal.undoing;
  await restoreRestorePoint(db, file, {
    runId: env.journal.journal.runId,
    tag: env.tag,
    binDir: env.config.postgres.binDir,
    from: undoing?.index === index ? undoing.phase : undefined,
    onPhase: async (phase) => {
      await env.journal.progress({ index, phase });
      crashPoint(`${env.crashPrefix}.restore-point.${phase}`);
    },
  });
  env.report(`database '${db.database}' restored from the restore point ${file}`);
};

const undoMigrations = async (env: UndoEnv, record: Extract<UndoRecord, { kind: "migrations" }>, index: number) => {
  const db = appDatabase(env.config);
  if (!record.xid) return env.report("the migration transaction never began: database unchanged");
  const resumingRestore = env.journal.journal.undoing?.index === index && env.journal.journal.undoing.phase;
  if (!resumingRestore) {
    const status = await settleTransaction(db, record.xid, sessionTag(env.journal.journal.runId));
    if (status === "aborted")
      return env.report(`migration transaction ${record.xid} did not commit: database unchanged`);
    if (status !== "committed" && !record.restorePoint)
      throw new Error(`the outcome of migration transaction ${record.xid} is ${status}; check the database by hand`);
  }
  if (record.direction === "up" && record.restorePoint) return restore(env, record.restorePoint, index);
  if (await ownTransactionCommitted(env, index)) return env.report("the revert had already committed");
  if (record.direction === "up") {
    const reverted = await migrateDown(migrationRun(env, record.dir, index), record.names.length);
    return env.report(`reverted migrations ${reverted.join(", ")}`);
  }
  const reapplied = await migrateUp(migrationRun(env, record.dir, index));
  return env.report(`re-applied migrations ${reapplied.join(", ")}`);
};

const undoOne = async (env: UndoEnv, record: UndoRecord, index: number): Promise<void> => {
  const { fromVersion, toVersion } = env.journal.journal;
  switch (record.kind) {
    case "deployment-installed": {
      if ((await readSymlink(env.paths.next)) === record.deployment)
        await restoreSymlink(env.paths.next, record.previousNext);
      await recordDeploymentStatus(record.deployment, "failed");
      return env.report(`deployment ${record.deployment} marked failed; next -> ${record.previousNext ?? "(none)"}`);
    }
    case "service-started": {
      const { service } = await serviceOf(env, record.deployment);
      if (service.stop)
        await runServiceCommand(service.stop, hookEnv(fromVersion, toVersion, record.deployment), service.timeoutMs);
      return env.report(`stopped the new service (${record.deployment})`);
    }
    case "links":
      await restoreSymlink(env.paths.current, record.current);
      await restoreSymlink(env.paths.last, record.last);
      return env.report(`current -> ${record.current ?? "(none)"}, last -> ${record.last ?? "(none)"}`);
    case "migrations":
      return undoMigrations(env, record, index);
    case "restore-point-restored": {
      const db = appDatabase(env.config);
      await undoRestore(db, env.journal.journal.runId, env.tag);
      return env.report(`database '${db.database}' put back as it was before the restore of ${record.file}`);
    }
    case "files":
      await restoreFiles(record.files);
      return env.report(`restored ${record.files.length} file(s)`);
    case "service-stopped": {
      if (!record.deployment) return;
      const { manifest, service } = await serviceOf(env, record.deployment);
      if (service.start)
        await runServiceCommand(
          service.start,
          hookEnv(toVersion, manifest.version, record.deployment),
          service.timeoutMs,
        );
      const health = await waitHealthy(service.health);
      if (!health.healthy)
        throw new Error(`the old release ${manifest.version} started but is not healthy: ${health.lastProblem}`);
      return env.report(`old release ${manifest.version} started and healthy (${health.elapsedMs} ms)`);
    }
  }
};

/**
 * Undoes a journal's records newest first, resuming a killed undo where it stopped (records already undone are
 * skipped, a restore or revert in progress resumes from its journaled phase); every step is attempted even after one
 * fails. Returns the failures (empty: fully rolled back; the restore points of the run are then deleted).
 */
export const undoJournal = async (env: UndoEnv): Promise<string[]> => {
  const problems: string[] = [];
  const { undo, undone } = env.journal.journal;
  for (let index = undo.length - 1; index >= 0; index -= 1) {
    const record = undo[index] as UndoRecord;
    if (undone.includes(index)) continue;
    crashPoint(`${env.crashPrefix}.${record.kind}`);
    try {
      await undoOne(env, record, index);
      await env.journal.progress(undefined, index);
      crashPoint(`${env.crashPrefix}.${record.kind}.done`);
    } catch (error) {
      const problem = `undo ${record.kind} failed: ${messageOf(error)}`;
      problems.push(problem);
      env.report(problem);
    }
  }
  if (problems.length === 0)
    for (const record of undo)
      if (record.kind === "migrations" && record.restorePoint) await removeRestorePoint(record.restorePoint);
  return problems;
};
