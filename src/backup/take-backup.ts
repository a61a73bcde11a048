import { realpath } from "node:fs/promises";
import { relative } from "node:path";
import type pg from "pg";
import type { ZopsConfig } from "../config/index.js";
import { ZopsError } from "../errors/index.js";
import { connectPostgres } from "../pg/connect.js";
import { backupManifestKey, backupPrefix } from "../repo/layout.js";
import { ensureClusterIdentity, openRepository } from "../repo/repository.js";
import { listAll } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { segmentForLsn } from "../pg/wal-segment.js";
import { parseLsn } from "../pg/lsn.js";
import { readServerFacts, type ServerFacts } from "../pg/server-facts.js";
import { makeBackupId } from "./backup-id.js";
import { pickParent } from "./chains.js";
import { copyFiles, type CopyProgress, type CopyResult } from "./copy-files.js";
import { encodeManifest, listBackupIds, MANIFEST_FORMAT, type BackupManifest } from "./manifest.js";
import { findRestorable, type UnrestorableBackup } from "./restorable.js";
import { startBackup, stopBackup, BACKUP_PRIVILEGES_HINT, type BackupStart, type BackupStop } from "./pg-session.js";
import { planBackup, type BackupPlan } from "./plan.js";
import { waitForWal } from "./wal-wait.js";
import { walkDataDirectory, type WalkResult } from "./walk.js";
import { openPiecePool } from "./piece-pool.js";

// The steps of one database backup, each a function of a shared state so the Listr graph
// (tasks/backup/database.ts) shows and times them. Order: prepare, start, copy, stop, wait for WAL,
// write manifest; `abandon` undoes a failed run.

/** State shared by the steps of one backup. */
export interface BackupRun {
  readonly config: ZopsConfig;
  readonly storage: Storage;
  requestedType: "full" | "incr";
  type?: "full" | "incr";
  /** Why an incremental became a full (no earlier backup). */
  promotedReason?: string;
  /** Newer backups of this cluster passed over as parent because they cannot be restored (damaged, objects missing). */
  skippedParents?: UnrestorableBackup[];
  client?: pg.Client;
  facts?: ServerFacts;
  id?: string;
  parent?: BackupManifest;
  startedAt?: Date;
  start?: BackupStart;
  walk?: WalkResult;
  plan?: BackupPlan;
  copy?: CopyResult;
  stop?: BackupStop;
  stoppedAt?: Date;
  manifest?: BackupManifest;
  /** Wall time spent copying, for the rate. */
  copyMs?: number;
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new ZopsError("INTERNAL", `backup step ran before ${what} was known`);
  return value;
};

/**
 * Opens the repository, connects, checks the cluster identity and that postgres.dataDir is the server's data directory,
 * and picks type, parent and id. Read-only except cluster.json on first use.
 */
export const prepareBackup = async (run: BackupRun): Promise<void> => {
  await openRepository(run.storage);
  run.client = await connectPostgres(run.config.postgres, { applicationName: "zops backup" });
  const facts = await readServerFacts(run.client, BACKUP_PRIVILEGES_HINT);
  run.facts = facts;
  if (facts.inRecovery)
    throw new ZopsError("PRECONDITION", "PostgreSQL is in recovery (a standby): zops backs up the primary", {
      hint: "point postgres.host/port at the primary",
    });
  const configured = await realpath(run.config.postgres.dataDir).catch(() => run.config.postgres.dataDir);
  const actual = await realpath(facts.dataDirectory).catch(() => facts.dataDirectory);
  if (configured !== actual) {
    throw new ZopsError(
      "PRECONDITION",
      `postgres.dataDir '${run.config.postgres.dataDir}' is not the ` +
        `data directory of the server at ` +
        `${run.config.postgres.host}:${run.config.postgres.port} ` +
        `('${facts.dataDirectory}')`,
      {
        hint: "set postgres.dataDir to the server's data_directory (SHOW data_directory)",
      },
    );
  }
  if (facts.archiveMode === "off") {
    throw new ZopsError("PRECONDITION", "archive_mode is off: a base backup without archived WAL cannot be restored", {
      hint: "set archive_mode = on and archive_command = 'zops wal-push %p', then restart PostgreSQL",
    });
  }
  await ensureClusterIdentity(run.storage, facts.systemIdentifier, facts.pgVersion);
  run.type = run.requestedType;
  if (run.requestedType === "incr") {
    // Only a restorable backup is a parent: an incremental on a damaged one could never be restored either.
    const { restorable, unrestorable } = await findRestorable(run.storage);
    run.parent = pickParent(restorable, facts.systemIdentifier);
    const parentId = run.parent?.id ?? "";
    run.skippedParents = unrestorable.filter((backup) => backup.id > parentId);
    if (!run.parent) {
      run.type = "full";
      run.promotedReason =
        run.skippedParents.length > 0 ? "no restorable earlier backup to build on" : "no earlier backup to build on";
    }
  }
  run.startedAt = new Date();
  run.id = makeBackupId(run.type, run.startedAt, new Set(await listBackupIds(run.storage)));
};

/** Calls pg_backup_start on the held connection (checkpoint first: fast or spread per backup.fastCheckpoint). */
export const beginBackup = async (run: BackupRun): Promise<void> => {
  const facts = need(run.facts, "the cluster");
  run.startedAt = new Date();
  run.start = await startBackup(
    need(run.client, "the connection"),
    facts.pgVersion,
    `zops ${need(run.id, "the id")}`,
    run.config.backup.fastCheckpoint,
  );
};

/**
 * Lists the data directory, plans the copy (referencing unchanged files of the parent) and stores the objects on
 * `processes` threads.
 */
export const copyDataDirectory = async (
  run: BackupRun,
  onProgress?: (progress: CopyProgress, plan: BackupPlan) => void,
  signal?: AbortSignal,
): Promise<void> => {
  const dataDir = run.config.postgres.dataDir;
  const spool = run.config.wal.spoolDir ? relative(dataDir, run.config.wal.spoolDir) : undefined;
  const extra = spool && !spool.startsWith("..") && spool !== "" ? [spool] : [];
  run.walk = await walkDataDirectory(dataDir, extra);
  const plan = planBackup(run.walk.files, run.type === "incr" ? run.parent : undefined);
  run.plan = plan;
  const started = performance.now();
  const pool = openPiecePool(run.config.backup.processes);
  try {
    run.copy = await copyFiles(run.storage, pool, need(run.id, "the id"), plan, {
      level: run.config.backup.compressLevel,
      signal,
      onProgress: (progress) => onProgress?.(progress, plan),
    });
  } finally {
    await pool.close();
  }
  run.copyMs = performance.now() - started;
};

/** Calls pg_backup_stop on the same connection and keeps backup_label and tablespace_map. */
export const endBackup = async (run: BackupRun): Promise<void> => {
  run.stop = await stopBackup(need(run.client, "the connection"), need(run.facts, "the cluster").pgVersion);
  run.stoppedAt = new Date();
  await run.client?.end().catch(() => undefined);
  run.client = undefined;
};

/** First and last segment a backup needs for consistency. */
export const neededWal = (
  start: BackupStart,
  stopLsn: string,
  segmentSize: number,
): { first: string; last: string } => ({
  first: segmentForLsn(start.lsn, start.timeline, segmentSize),
  last: segmentForLsn(parseLsn(stopLsn) - 1n, start.timeline, segmentSize),
});

/**
 * Waits until the WAL from the start segment through the stop LSN's segment is in the repository
 * (backup.archiveTimeoutSeconds).
 */
export const awaitBackupWal = async (
  run: BackupRun,
  onWait?: (missing: readonly string[]) => void,
  signal?: AbortSignal,
): Promise<void> => {
  const facts = need(run.facts, "the cluster");
  const { first, last } = neededWal(need(run.start, "the start"), need(run.stop, "the stop").lsn, facts.walSegmentSize);
  await waitForWal(run.storage, first, last, {
    segmentSize: facts.walSegmentSize,
    timeoutMs: run.config.backup.archiveTimeoutSeconds * 1000,
    onWait,
    signal,
  });
};

/** Builds and stores the manifest, last: from this moment the backup exists. Atomic put. */
export const writeManifest = async (run: BackupRun): Promise<BackupManifest> => {
  const facts = need(run.facts, "the cluster");
  const start = need(run.start, "the start");
  const stop = need(run.stop, "the stop");
  const copy = need(run.copy, "the copy");
  const plan = need(run.plan, "the plan");
  const walk = need(run.walk, "the file list");
  const id = need(run.id, "the id");
  const files = [...plan.referenced, ...copy.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const storedOf = new Map<string, number>();
  for (const object of run.parent?.objects ?? []) storedOf.set(object.key, object.size);
  for (const object of copy.objects) storedOf.set(object.key, object.size);
  const referencedObjects = new Set(files.flatMap((file) => file.pieces.map((piece) => piece.object)));
  const { first, last } = neededWal(start, stop.lsn, facts.walSegmentSize);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    id,
    type: need(run.type, "the type"),
    ...(run.type === "incr" && run.parent ? { parent: run.parent.id } : {}),
    full: run.type === "incr" && run.parent ? run.parent.full : id,
    startedAt: need(run.startedAt, "the start time").toISOString(),
    stoppedAt: need(run.stoppedAt, "the stop time").toISOString(),
    stopTime: stop.stopTime,
    pgVersion: facts.pgVersion,
    systemIdentifier: facts.systemIdentifier,
    timeline: start.timeline,
    walSegmentSize: facts.walSegmentSize,
    startLsn: start.lsn,
    stopLsn: stop.lsn,
    walStart: first,
    walStop: last,
    dataDir: run.config.postgres.dataDir,
    backupLabel: stop.backupLabel,
    tablespaceMap: stop.tablespaceMap,
    tablespaces: facts.tablespaces.filter((space) => walk.tablespaceLinks.some((link) => link.oid === space.oid)),
    compression: { type: "zstd", level: run.config.backup.compressLevel },
    sizes: {
      database: files.reduce((sum, file) => sum + file.size, 0),
      copied: copy.copied,
      stored: copy.stored,
      storedTotal: [...referencedObjects].reduce((sum, key) => sum + (storedOf.get(key) ?? 0), 0),
    },
    directories: walk.directories,
    files,
    objects: [
      ...new Map([...(run.parent?.objects ?? []), ...copy.objects].map((object) => [object.key, object])).values(),
    ]
      .filter((object) => referencedObjects.has(object.key))
      .sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
  await run.storage.put(backupManifestKey(id), encodeManifest(manifest));
  run.manifest = manifest;
  return manifest;
};

/**
 * Undoes a failed backup: ends the PostgreSQL session (which aborts backup mode) and deletes what this run stored (best
 * effort; `zops expire` removes anything left). Never deletes a written manifest's backup.
 */
export const abandonBackup = async (run: BackupRun): Promise<void> => {
  await run.client?.end().catch(() => undefined);
  run.client = undefined;
  if (!run.id || run.manifest) return;
  const keys = await listAll(run.storage, backupPrefix(run.id)).catch(() => [] as string[]);
  await run.storage.delete(keys).catch(() => undefined);
};
