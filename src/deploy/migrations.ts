import { readdir } from "node:fs/promises";
import { extname } from "node:path";
import { runner } from "node-pg-migrate";
import { ZopsError } from "../errors/index.js";
import { withPostgres, type PostgresSettings } from "../pg/connect.js";

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

const clientConfig = (db: PostgresSettings) => ({ host: db.host, port: db.port, user: db.user, database: db.database });

/**
 * Applies every pending migration of `dir` in one transaction (node-pg-migrate): all or nothing; returns the names run;
 * throws POSTGRES naming the failure.
 */
export const migrateUp = async (
  db: PostgresSettings,
  dir: string,
  table: string,
  onLine?: (line: string) => void,
): Promise<string[]> => {
  try {
    const ran = await runner({
      databaseUrl: clientConfig(db),
      dir,
      direction: "up",
      migrationsTable: table,
      singleTransaction: true,
      checkOrder: true,
      logger: runnerLogger(onLine),
    });
    return ran.map((migration) => migration.name);
  } catch (error) {
    throw new ZopsError("POSTGRES", `migrations of '${dir}' failed (none applied): ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** Reverts the last `count` applied migrations with their down steps, in one transaction; throws POSTGRES. */
export const migrateDown = async (
  db: PostgresSettings,
  dir: string,
  table: string,
  count: number,
  onLine?: (line: string) => void,
): Promise<string[]> => {
  if (count <= 0) return [];
  try {
    const ran = await runner({
      databaseUrl: clientConfig(db),
      dir,
      direction: "down",
      count,
      migrationsTable: table,
      singleTransaction: true,
      checkOrder: false,
      logger: runnerLogger(onLine),
    });
    return ran.map((migration) => migration.name);
  } catch (error) {
    throw new ZopsError("POSTGRES", `down migrations of '${dir}' failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
};
