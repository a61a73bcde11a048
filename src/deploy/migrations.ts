import { readdir } from "node:fs/promises";
import { extname } from "node:path";
import { runner } from "node-pg-migrate";
import { ZopsError } from "../errors/index.js";
import { crashPoint } from "../fault/crash-point.js";
import { connectPostgres, withPostgres, type PostgresSettings } from "../pg/connect.js";

const EXTENSIONS = new Set([".sql", ".js", ".cjs", ".mjs"]);

/** One migration file of a release. */
export interface MigrationFile {
  /** node-pg-migrate's name: the file name without extension. */
  readonly name: string;
  readonly file: string;
}

/** Migration names as node-pg-migrate orders them (file name order, dot files ignored) from file names (pure). */
export const migrationFilesOf = (fileNames: readonly string[]): MigrationFile[] =>
  fileNames
    .filter((file) => !file.startsWith(".") && EXTENSIONS.has(extname(file)))
    .sort()
    .map((file) => ({ file, name: file.slice(0, -extname(file).length) }));

/** Lists a migrations directory (missing directory: no migrations). */
export const listMigrationFiles = async (dir: string): Promise<MigrationFile[]> =>
  migrationFilesOf(await readdir(dir).catch(() => []));

/**
 * Whether a migration can be undone by its own down step (SQL: a "-- Down Migration" section; JS: an exported down
 * function). Pure.
 */
const JS_DOWN = new RegExp(
  [
    "exports\\.down\\s*=(?!\\s*false)",
    "export\\s+(?:async\\s+)?function\\s+down\\b",
    "export\\s+const\\s+down\\s*=(?!\\s*false)",
  ].join("|"),
);

export const hasDownMigration = (file: string, source: string): boolean => {
  if (extname(file) === ".sql") return /^\s*--[\s-]*down\s+migration/im.test(source);
  return JS_DOWN.test(source);
};

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Names recorded as run in the migrations table (empty when the table does not exist yet); read only. */
export const appliedMigrations = (db: PostgresSettings, table: string): Promise<string[]> =>
  withPostgres(db, async (client) => {
    const exists = await client.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [table]);
    if (!exists.rows[0]?.found) return [];
    const rows = await client.query<{ name: string }>(`SELECT name FROM ${quoteIdent(table)} ORDER BY run_on, id`);
    return rows.rows.map((row) => row.name);
  }).catch((error: unknown) => {
    throw error instanceof ZopsError
      ? error
      : new ZopsError(
          "POSTGRES",
          `unable to read migrations table '${table}' of database '${db.database}': ${(error as Error).message}`,
          { cause: error },
        );
  });

const runnerLogger = (onLine?: (line: string) => void) => {
  const log = (...args: unknown[]) => onLine?.(args.map(String).join(" "));
  return { debug: () => undefined, info: log, warn: log, error: log };
};

/** How a migration run reports its transaction and where a test may kill it. */
export interface MigrationRun {
  readonly db: PostgresSettings;
  readonly dir: string;
  readonly table: string;
  /** application_name of the session (recovery ends a dead run's sessions by it). */
  readonly tag: string;
  /** Crash-point prefix, e.g. "upgrade.migrations". */
  readonly crashPrefix: string;
  /** Called with the transaction id right after BEGIN, before any migration statement runs (journal it). */
  readonly onTransaction: (xid: string) => Promise<void>;
  readonly onLine?: ((line: string) => void) | undefined;
}

// node-pg-migrate drives an external client through `query` only: zops wraps it to learn the transaction id right
// after BEGIN (so recovery asks PostgreSQL whether that transaction committed instead of guessing from the
// migrations table) and to offer crash points inside the migration.
const runMigrations = async (
  migration: MigrationRun,
  options: { direction: "up" | "down"; count?: number },
): Promise<string[]> => {
  const client = await connectPostgres(migration.db, { applicationName: migration.tag });
  const tracked = {
    query: async (text: unknown, values?: unknown[]) => {
      const sql = typeof text === "string" ? text.trim().toUpperCase() : "";
      if (sql === "COMMIT") crashPoint(`${migration.crashPrefix}.before-commit`);
      const pending = client.query(text as string, values);
      if (sql !== "BEGIN" && sql !== "COMMIT" && sql !== "") {
        await new Promise((resolve) => setImmediate(resolve));
        crashPoint(`${migration.crashPrefix}.statement`);
      }
      const result = await pending;
      if (sql === "BEGIN") {
        const xid = (await client.query<{ xid: string }>("SELECT pg_current_xact_id()::text AS xid")).rows[0]?.xid;
        if (!xid) throw new Error("no transaction id after BEGIN");
        await migration.onTransaction(xid);
        crashPoint(`${migration.crashPrefix}.begun`);
      }
      if (sql === "COMMIT") crashPoint(`${migration.crashPrefix}.committed`);
      return result;
    },
  };
  try {
    const ran = await runner({
      dbClient: tracked as never,
      dir: migration.dir,
      direction: options.direction,
      count: options.count,
      migrationsTable: migration.table,
      singleTransaction: true,
      checkOrder: options.direction === "up",
      logger: runnerLogger(migration.onLine),
    });
    return ran.map((entry) => entry.name);
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * Applies every pending migration of `dir` in one transaction (node-pg-migrate): all or nothing; returns the names run.
 * @throws POSTGRES naming the failure
 */
export const migrateUp = async (migration: MigrationRun): Promise<string[]> => {
  try {
    return await runMigrations(migration, { direction: "up" });
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    throw new ZopsError(
      "POSTGRES",
      `migrations of '${migration.dir}' failed (none applied): ${(error as Error).message}`,
      { cause: error },
    );
  }
};

/**
 * Reverts the last `count` applied migrations with their down steps, in one transaction.
 * @throws POSTGRES
 */
export const migrateDown = async (migration: MigrationRun, count: number): Promise<string[]> => {
  if (count <= 0) return [];
  try {
    return await runMigrations(migration, { direction: "down", count });
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    throw new ZopsError("POSTGRES", `down migrations of '${migration.dir}' failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** A transaction's outcome as PostgreSQL knows it (pg_xact_status). */
export type TransactionStatus = "committed" | "aborted" | "in progress" | "unknown";

/**
 * Asks PostgreSQL whether transaction `xid` committed; ends the sessions tagged `tag` (a dead run's) first, so an
 * in-progress transaction of a killed zops is aborted and its advisory lock released.
 * @throws POSTGRES
 */
export const settleTransaction = async (db: PostgresSettings, xid: string, tag: string): Promise<TransactionStatus> => {
  try {
    return await withPostgres(db, async (client) => {
      for (let attempt = 0; attempt < 600; attempt += 1) {
        await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity " +
            "WHERE application_name = $1 AND pid <> pg_backend_pid()",
          [tag],
        );
        const status = (
          await client.query<{ status: string | null }>("SELECT pg_xact_status($1::xid8) AS status", [xid])
        ).rows[0]?.status;
        if (status === "committed" || status === "aborted") return status;
        if (status === null || status === undefined) return "unknown";
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return "in progress";
    });
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    throw new ZopsError(
      "POSTGRES",
      `unable to read the outcome of migration transaction ${xid}: ${(error as Error).message}`,
      { cause: error },
    );
  }
};
