import { execaSync } from "execa";
import { appendFile, mkdir, chown, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import type { ZopsConfig } from "../../src/config/index.js";
import { run } from "../../src/exec/run.js";
import { findPgBinDir } from "../../src/pg/bin-dir.js";
import { postgresRunAs, type OsUser } from "../../src/pg/os-user.js";
import { freePort } from "./ports.js";
import { makeTempDir, removeTempDir } from "./temp.js";

export interface ClusterOptions {
  /** Extra postgresql.conf settings (values written verbatim, quote strings yourself). */
  readonly settings?: Record<string, string | number>;
  /** Extra initdb arguments. */
  readonly initdbArgs?: readonly string[];
  /** Use this existing (e.g. restored) data directory instead of running initdb. */
  readonly dataDir?: string;
  /** Leave the cluster stopped after creating it. */
  readonly start?: boolean;
  /** Extra environment for the server (archive_command/restore_command inherit it, e.g. AWS_* credentials). */
  readonly env?: Record<string, string>;
}

/** A throwaway PostgreSQL cluster in a temp directory, on a free port, with its own socket directory. */
export interface TestCluster {
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly binDir: string;
  readonly runAs: OsUser | undefined;
  /** The `postgres:` config section pointing at this cluster. */
  readonly postgresConfig: ZopsConfig["postgres"];
  start(): Promise<void>;
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Runs SQL and returns the rows. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Runs a binary from the PostgreSQL bin directory as the cluster's OS user. */
  exec(tool: string, args: readonly string[], options?: { reject?: boolean; timeoutMs?: number }): ReturnType<typeof run>;
  /** Appends settings to postgresql.conf (takes effect on the next start or reload). */
  configure(settings: Record<string, string | number>): Promise<void>;
  /** Stops the cluster and deletes its directory (safe to call twice). */
  destroy(): Promise<void>;
}

const live = new Set<TestCluster>();

process.on("exit", () => {
  for (const cluster of live) {
    try {
      execaSync(join(cluster.binDir, "pg_ctl"), ["stop", "-D", cluster.dataDir, "-m", "immediate", "-w"], {
        reject: false,
        uid: cluster.runAs?.uid,
        gid: cluster.runAs?.gid,
      });
    } catch {
      // best effort on exit
    }
  }
});

// Creates (initdb) and starts a throwaway cluster; runs as the postgres OS user when we are root. Throws, never skips, when PostgreSQL is missing.
export const startCluster = async (options: ClusterOptions = {}): Promise<TestCluster> => {
  const binDir = await findPgBinDir(process.env.ZOPS_TEST_PG_BINDIR);
  const runAs = await postgresRunAs();
  const root = await makeTempDir("pg");
  const dataDir = options.dataDir ?? join(root, "data");
  const socketDir = join(root, "socket");
  await mkdir(socketDir, { mode: 0o700 });
  if (runAs) await chown(socketDir, runAs.uid, runAs.gid);
  const port = await freePort();
  const asUser = { uid: runAs?.uid, gid: runAs?.gid };
  const exec = (tool: string, args: readonly string[], extra: { reject?: boolean; timeoutMs?: number } = {}) =>
    run(join(binDir, tool), args, { ...asUser, errorCode: "POSTGRES", ...extra, env: { ...options.env, LC_ALL: "C.UTF-8", PGHOST: socketDir, PGPORT: String(port), PGUSER: "postgres", PGDATABASE: "postgres" } });

  if (!options.dataDir) {
    await exec("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--data-checksums", ...(options.initdbArgs ?? [])]);
  }
  const configure = async (settings: Record<string, string | number>) => {
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    await appendFile(join(dataDir, "postgresql.conf"), `\n${lines.join("\n")}\n`);
  };
  await configure({
    port,
    listen_addresses: "''",
    unix_socket_directories: `'${socketDir}'`,
    fsync: "off",
    max_wal_senders: 4,
    wal_level: "replica",
    logging_collector: "off",
    shared_buffers: "'32MB'",
    ...options.settings,
  });
  const logFile = join(root, "postgres.log");
  await writeFile(logFile, "");
  if (runAs) await chown(logFile, runAs.uid, runAs.gid);

  const cluster: TestCluster = {
    root,
    dataDir,
    socketDir,
    port,
    binDir,
    runAs,
    postgresConfig: { dataDir, host: socketDir, port, user: "postgres", database: "postgres", binDir },
    start: async () => {
      await exec("pg_ctl", ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "120"]);
    },
    stop: async (mode = "fast") => {
      await exec("pg_ctl", ["stop", "-D", dataDir, "-m", mode, "-w", "-t", "120"], { reject: false });
    },
    query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = "postgres") => {
      const client = new pg.Client({ host: socketDir, port, user: "postgres", database });
      await client.connect();
      try {
        return (await client.query<T>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    exec,
    configure,
    destroy: async () => {
      live.delete(cluster);
      await exec("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-w"], { reject: false });
      await removeTempDir(root);
    },
  };
  live.add(cluster);
  if (options.start !== false) await cluster.start();
  return cluster;
};
