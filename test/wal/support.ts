import { execa, type Result } from "execa";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseConfig, type ZopsConfig } from "../../src/config/index.js";
import { shellQuote, zopsCommand } from "../../src/exec/self-command.js";
import { writeMarker } from "../../src/repo/repository.js";
import { openStorage } from "../../src/storage/open.js";
import type { Storage } from "../../src/storage/storage.js";
import type { TestCluster } from "../support/postgres.js";
import { makeTempDir } from "../support/temp.js";

/** A zops.yml on disk (readable by the postgres OS user) and its parsed form. */
export interface WalTestConfig {
  readonly path: string;
  readonly config: ZopsConfig;
}

/** Writes a config file for `repository` (plus extra sections) into a postgres-readable temp dir. */
export const writeTestConfig = async (
  repository: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<WalTestConfig> => {
  const dir = await makeTempDir("cfg");
  const path = join(dir, "zops.yml");
  const text = stringify({ repository, storage: { timeoutSeconds: 5, retries: 1, retryDelayMs: 100 }, ...extra });
  await writeFile(path, text, { mode: 0o644 });
  return { path, config: parseConfig(text, path) };
};

/** A file repository in a postgres-owned temp dir, with its marker written. */
export const makeFileRepository = async (): Promise<{ dir: string; url: string }> => {
  const dir = await makeTempDir("repo");
  const url = `file://${dir}`;
  const storage = await openStorage({
    repository: { url, s3: { region: "us-east-1", forcePathStyle: false } },
    storage: { timeoutSeconds: 5, retries: 0, retryDelayMs: 0 },
  });
  await writeMarker(storage);
  return { dir, url };
};

/** Opens the storage a test config points at. */
export const storageOf = (config: WalTestConfig): Promise<Storage> => openStorage(config.config);

/** `archive_command` running the bundled CLI with `config`. */
export const archiveCommand = (config: WalTestConfig): string =>
  `'${shellQuote([...zopsCommand(), "--config", config.path, "wal-push", "%p"]).replace(/'/g, "''")}'`;

/** `restore_command` running the bundled CLI with `config`. */
export const restoreCommand = (config: WalTestConfig): string =>
  `'${shellQuote([...zopsCommand(), "--config", config.path, "wal-fetch", "%f", "%p"]).replace(/'/g, "''")}'`;

/** Runs the bundled CLI (never throws; inspect exitCode/stderr). */
export const runZops = (
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Result<{ reject: false }>> => {
  const [file, ...prefix] = zopsCommand();
  return execa(file ?? "zops", [...prefix, ...args], {
    reject: false,
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs,
  }) as Promise<Result<{ reject: false }>>;
};

/**
 * Waits until the background pusher that a wal-push started under `spool` has finished (its report written, its lock
 * gone).
 */
export const waitForPusher = async (spool: string, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(spool).catch(() => [] as string[]);
    if (names.includes("pusher.json") && !names.includes("pusher.lock")) return;
    if (Date.now() > deadline)
      throw new Error(`the background pusher under ${spool} did not finish within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** Writes a little and switches WAL `count` times; returns the names of the segments completed, in order. */
export const generateSegments = async (cluster: TestCluster, count: number): Promise<string[]> => {
  await cluster.query("create table if not exists wal_load (id serial primary key, payload text)");
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    await cluster.query("insert into wal_load (payload) select md5(g::text) from generate_series(1, 200) g");
    const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    if (row) names.push(row.name);
  }
  return names;
};

/**
 * Writes a commit record and switches WAL; returns the name of the segment completed. The commit matters: with no WAL
 * written since the last switch, PostgreSQL 18's pg_switch_wal returns a position inside the new, unfinished segment
 * (earlier majors: its start, which pg_walfile_name maps to the finished one).
 */
export const switchWal = async (cluster: TestCluster): Promise<string> => {
  await cluster.query("select txid_current()");
  const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
  return row?.name ?? "";
};

/** Waits until PostgreSQL reports `name` (or a later file) archived; fails after `timeoutMs`. */
export const waitArchived = async (
  cluster: TestCluster,
  name: string,
  timeoutMs = 90_000,
): Promise<{ archived_count: string; failed_count: string; last_archived_wal: string | null }> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await cluster.query<{
      archived_count: string;
      failed_count: string;
      last_archived_wal: string | null;
    }>("select archived_count::text, failed_count::text, last_archived_wal from pg_stat_archiver");
    if (row?.last_archived_wal && row.last_archived_wal >= name) return row;
    if (Date.now() > deadline)
      throw new Error(`WAL ${name} not archived within ${timeoutMs} ms: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

/**
 * Waits for a cluster started on a recovery.signal (hot_standby off) to finish: `promoted` once it accepts read-write
 * connections, `stopped` once the server is gone (recovery aborted); throws after `timeoutMs`.
 */
export const waitRecoveryOutcome = async (
  cluster: TestCluster,
  timeoutMs = 120_000,
): Promise<"promoted" | "stopped"> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const [row] = await cluster.query<{ recovery: boolean }>("select pg_is_in_recovery() as recovery");
      if (row && !row.recovery) return "promoted";
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ECONNREFUSED") return "stopped";
    }
    if (Date.now() > deadline) throw new Error(`recovery neither finished nor failed within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};
