import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { planAmcheck, runAmcheck } from "../../src/drill/amcheck.js";
import { run } from "../../src/exec/run.js";
import { freePort } from "../../src/pg/free-port.js";
import type { Storage } from "../../src/storage/storage.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { archiveCommand, makeFileRepository, storageOf, writeTestConfig, type WalTestConfig } from "../wal/support.js";

/** A cluster archiving with `zops wal-push` into a fresh repository, and the config that points at both. */
export interface BackupFixture {
  readonly cluster: TestCluster;
  readonly config: WalTestConfig;
  readonly storage: Storage;
  readonly globals: { config: string; json: boolean; verbose: boolean };
  destroy(): Promise<void>;
}

/**
 * Starts a cluster with archive_command = zops wal-push and a file repository (or the given repository section), config
 * written before the first archive.
 */
export const startBackupFixture = async (
  options: {
    repository?: Record<string, unknown>;
    backup?: Record<string, unknown>;
    env?: Record<string, string>;
  } = {},
): Promise<BackupFixture> => {
  const repository = options.repository ?? { url: (await makeFileRepository()).url };
  const cluster = await startCluster({
    start: false,
    env: options.env,
    settings: { archive_mode: "on", archive_timeout: 0, max_wal_size: "'256MB'" },
  });
  const real = await writeTestConfig(repository, {
    postgres: { ...cluster.postgresConfig },
    backup: { processes: 2, archiveTimeoutSeconds: 60, ...options.backup },
  });
  await cluster.configure({ archive_command: archiveCommand(real) });
  await cluster.start();
  const storage = await storageOf(real);
  return {
    cluster,
    config: real,
    storage,
    globals: { config: real.path, json: true, verbose: false },
    destroy: async () => {
      await cluster.destroy();
      await storage.close?.();
    },
  };
};

/** Runs pgbench as the cluster's OS user (initialize with `-i -s N`, or load with `-T seconds`). */
export const pgbench = (cluster: TestCluster, args: readonly string[]) =>
  cluster.exec("pgbench", [...args, "postgres"], { timeoutMs: 300_000 });

/**
 * A fingerprint of the pgbench data: row counts and balance sums (equal fingerprints = same data at the recovery
 * target).
 */
export const fingerprint = async (query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<string> => {
  const rows = await query(
    "select (select count(*) from pgbench_accounts)::text as " +
      "accounts, (select sum(abalance) from pgbench_accounts)::text as " +
      "abal, (select count(*) from pgbench_history)::text as history, " +
      "(select sum(tbalance) from pgbench_tellers)::text as tbal, " +
      "(select sum(bbalance) from pgbench_branches)::text as bbal",
  );
  return JSON.stringify(rows[0]);
};

/** A restored cluster started by `zops restore --start`: where to reach it. */
export interface RestoredServer {
  readonly dir: string;
  readonly port: number;
  readonly socketDir: string;
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Stops the server and removes its directory (kept with `keep`, for a later test: removeTempDir it then). */
  stop(options?: { keep?: boolean }): Promise<void>;
}

/** Settings (`--set` values) and helpers for a restored cluster on its own port and socket directory. */
export const restoredServer = async (
  cluster: TestCluster,
  label: string,
): Promise<RestoredServer & { sets: string[] }> => {
  const root = await makeTempDir(label);
  const dir = join(root, "data");
  const socketDir = root;
  const port = await freePort();
  const pg = await import("pg");
  return {
    dir,
    port,
    socketDir,
    sets: [`port=${port}`, `unix_socket_directories=${socketDir}`, "listen_addresses="],
    query: async <T extends Record<string, unknown>>(sql: string) => {
      const client = new pg.default.Client({ host: socketDir, port, user: "postgres", database: "postgres" });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    },
    stop: async (options: { keep?: boolean } = {}) => {
      await run(join(cluster.binDir, "pg_ctl"), ["stop", "-D", dir, "-m", "immediate", "-w"], {
        uid: cluster.runAs?.uid,
        gid: cluster.runAs?.gid,
        reject: false,
      });
      if (!options.keep) await removeTempDir(root);
    },
  };
};

/**
 * Checks every database of a server the way a drill does (src/drill/amcheck.ts: pg_amcheck on 14 and later, the
 * amcheck extension's functions on 13); `failed` and the report in `stdout`.
 */
export const amcheck = async (cluster: TestCluster, server: { port: number; socketDir: string }) => {
  const major = Number((await readFile(join(cluster.dataDir, "PG_VERSION"), "utf8")).trim());
  const plan = await planAmcheck(cluster.binDir, major);
  const result = await runAmcheck(plan, server.socketDir, server.port, cluster.runAs);
  return { failed: !result.ok, stdout: result.output, stderr: "" };
};
