import { appendFile, chown, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { newPgClient } from "./connect.js";
import type { ZopsConfig } from "../config/index.js";
import { run, type RunResult } from "../exec/run.js";
import { findPgBinDir } from "./bin-dir.js";
import { freePort } from "./free-port.js";
import { postgresRunAs, type OsUser } from "./os-user.js";

export interface ScratchClusterOptions {
  /** Directory for the socket, log and (without `dataDir`) the data; must exist and be writable by `runAs`. */
  readonly root: string;
  /** An existing data directory (e.g. a restored backup); without it, initdb creates `<root>/data`. */
  readonly dataDir?: string;
  /** postgresql.conf settings appended after zops' own (values verbatim: quote strings yourself). */
  readonly settings?: Record<string, string | number>;
  readonly initdbArgs?: readonly string[];
  readonly binDir?: string;
  /** Environment for the server (archive_command/restore_command inherit it). */
  readonly env?: Record<string, string>;
}

/** A PostgreSQL cluster on a free port with its own socket directory, listening on no TCP address. */
export interface ScratchCluster {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly port: number;
  readonly binDir: string;
  readonly runAs: OsUser | undefined;
  /** The `postgres:` config section pointing at this cluster. */
  readonly postgresConfig: ZopsConfig["postgres"];
  /** Starts the server and waits (pg_ctl -w) up to `timeoutSeconds`. */
  start(timeoutSeconds?: number): Promise<void>;
  stop(mode?: "fast" | "immediate"): Promise<void>;
  query<T extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<T[]>;
  /** Runs a PostgreSQL binary as the cluster's OS user, with PGHOST/PGPORT pointing at it. */
  exec(tool: string, args: readonly string[], options?: { reject?: boolean; timeoutMs?: number }): Promise<RunResult>;
  /** Appends settings to postgresql.conf (in effect at the next start or reload). */
  configure(settings: Record<string, string | number>): Promise<void>;
}

/**
 * Prepares (initdb unless `dataDir` is given) a cluster isolated from any other: free port, private socket, no TCP; as
 * the postgres OS user when root. Does not start it.
 */
export const createScratchCluster = async (options: ScratchClusterOptions): Promise<ScratchCluster> => {
  const binDir = await findPgBinDir(options.binDir);
  const runAs = await postgresRunAs();
  const dataDir = options.dataDir ?? join(options.root, "data");
  const socketDir = join(options.root, "socket");
  const logFile = join(options.root, "postgres.log");
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  await writeFile(logFile, "");
  if (runAs) {
    await chown(socketDir, runAs.uid, runAs.gid);
    await chown(logFile, runAs.uid, runAs.gid);
  }
  const port = await freePort();
  const exec = (tool: string, args: readonly string[], extra: { reject?: boolean; timeoutMs?: number } = {}) =>
    run(join(binDir, tool), args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      errorCode: "POSTGRES",
      ...extra,
      env: {
        ...options.env,
        LC_ALL: "C.UTF-8",
        PGHOST: socketDir,
        PGPORT: String(port),
        PGUSER: "postgres",
        PGDATABASE: "postgres",
      },
    });
  if (!options.dataDir) {
    await exec("initdb", [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
      "--data-checksums",
      ...(options.initdbArgs ?? []),
    ]);
  }
  const configure = async (settings: Record<string, string | number>) => {
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    await appendFile(join(dataDir, "postgresql.conf"), `\n${lines.join("\n")}\n`);
  };
  await configure({
    port,
    listen_addresses: "''",
    unix_socket_directories: `'${socketDir}'`,
    logging_collector: "off",
    ...options.settings,
  });
  return {
    dataDir,
    socketDir,
    logFile,
    port,
    binDir,
    runAs,
    postgresConfig: {
      dataDir,
      host: socketDir,
      port,
      user: "postgres",
      database: "postgres",
      osUser: runAs?.name ?? "postgres",
      binDir,
    },
    start: async (timeoutSeconds = 120) => {
      await exec("pg_ctl", ["start", "-D", dataDir, "-l", logFile, "-w", "-t", String(timeoutSeconds)], {
        timeoutMs: (timeoutSeconds + 10) * 1000,
      });
    },
    stop: async (mode = "fast") => {
      await exec("pg_ctl", ["stop", "-D", dataDir, "-m", mode, "-w", "-t", "120"], { reject: false });
    },
    query: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = "postgres") => {
      const client = newPgClient({ host: socketDir, port, user: "postgres", database });
      await client.connect();
      try {
        return (await client.query<T>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    exec,
    configure,
  };
};
