import { chown, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { withLocalErrors, ZopsError } from "../errors/index.js";
import { run } from "../exec/run.js";
import { crashPoint } from "../fault/crash-point.js";
import { findPgBinDir } from "../pg/bin-dir.js";
import { type PostgresSettings, withPostgres } from "../pg/connect.js";
import { postgresRunAs } from "../pg/os-user.js";

// Why pg_dump and not a savepoint or a template clone: node-pg-migrate commits before the new
// release starts, and the health gate needs the committed schema, so a transaction cannot stay open
// across it; `CREATE DATABASE ... TEMPLATE app` needs the app database free of every connection
// (cron jobs, monitoring) and copies it whole. A custom-format dump is taken while the service is
// stopped (nothing writes between dump and migration) and works on a live cluster.
//
// Restoring never drops the application's database first: the dump is restored into a new scratch database,
// and only a complete one is renamed into place (the old one renamed aside, then dropped). A kill at any moment
// leaves either the old database in place or the complete restored one; the journal's phase says which step to
// resume.

const pgEnv = (db: PostgresSettings, tag: string) => ({
  PGHOST: db.host,
  PGPORT: String(db.port),
  PGUSER: db.user,
  PGAPPNAME: tag,
});

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Runs one maintenance query on the `postgres` database; pg errors become POSTGRES naming `purpose`. */
export const maintenanceQuery = async <T extends pg.QueryResultRow>(
  db: PostgresSettings,
  tag: string,
  purpose: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> => {
  try {
    return await withPostgres({ ...db, database: "postgres" }, async (client) => {
      await client.query("SELECT set_config('application_name', $1, false)", [tag]);
      return (await client.query<T>(sql, params)).rows;
    });
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    throw new ZopsError("POSTGRES", `unable to ${purpose}: ${(error as Error).message}`, { cause: error });
  }
};

const databaseExists = async (db: PostgresSettings, tag: string, name: string): Promise<boolean> =>
  (
    await maintenanceQuery(db, tag, `look up database '${name}'`, "SELECT 1 FROM pg_database WHERE datname = $1", [
      name,
    ])
  ).length > 0;

/** Names of the scratch and parked databases of a restore (pure; within PostgreSQL's 63-byte names). */
export const restoreDatabaseNames = (database: string, runId: string) => ({
  scratch: `${database.slice(0, 40)}_zops_new_${runId}`,
  parked: `${database.slice(0, 40)}_zops_old_${runId}`,
});

/**
 * Dumps the app database (pg_dump -Fc, as the postgres OS user when root) to `<dir>/<label>.dump`; returns the path.
 * @throws POSTGRES when pg_dump fails; DISK_FULL, LOCAL_ACCESS or LOCAL_IO when `dir` cannot be created.
 */
export const createRestorePoint = async (
  db: PostgresSettings,
  dir: string,
  label: string,
  tag: string,
  binDir?: string,
): Promise<string> => {
  const runAs = await postgresRunAs();
  await withLocalErrors(`unable to create the restore point directory '${dir}'`, dir, async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
  });
  const file = join(dir, `${label}.dump`);
  const bin = await findPgBinDir(binDir);
  await run(join(bin, "pg_dump"), ["--format=custom", "--file", file, "--dbname", db.database], {
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: pgEnv(db, tag),
    errorCode: "POSTGRES",
    hint: "the restore point is taken only when a pending migration has no down step",
  });
  return file;
};

/** Ends every session of `database` but this one (pg_terminate_backend). */
const endSessions = (db: PostgresSettings, tag: string, database: string) =>
  maintenanceQuery(
    db,
    tag,
    `end the sessions of database '${database}'`,
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );

const renameDatabase = async (db: PostgresSettings, tag: string, from: string, to: string): Promise<void> => {
  // Sessions can reconnect between the terminate and the rename (monitoring, cron): a bounded number of attempts.
  for (let attempt = 1; ; attempt += 1) {
    await endSessions(db, tag, from);
    try {
      await maintenanceQuery(
        db,
        tag,
        `rename database '${from}' to '${to}'`,
        `ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`,
      );
      return;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
    }
  }
};

/** Phases of a restore point restore, reported before each starts (the caller journals them). */
export type RestorePhase = "restoring" | "swapping";

/**
 * Replaces the app database by the restore point: restores into the scratch database (recreated), reports
 * "swapping", then renames the app database aside and the scratch one into place and drops the old one. Resumable:
 * `from` "swapping" skips the restore. Never leaves a moment without a complete app database.
 * @throws POSTGRES naming the step
 */
export const restoreRestorePoint = async (
  db: PostgresSettings,
  file: string,
  options: {
    readonly runId: string;
    readonly tag: string;
    readonly binDir?: string | undefined;
    readonly from?: RestorePhase | undefined;
    readonly onPhase: (phase: RestorePhase) => Promise<void>;
    /** Keep the replaced database (renamed aside) so that undoing the restore can swap it back. */
    readonly keepReplaced?: boolean;
  },
): Promise<void> => {
  const { scratch, parked } = restoreDatabaseNames(db.database, options.runId);
  const tag = options.tag;
  if (options.from !== "swapping") {
    await options.onPhase("restoring");
    const [facts] = await maintenanceQuery<{ owner: string; encoding: string; collate: string; ctype: string }>(
      db,
      tag,
      `read the settings of database '${db.database}'`,
      "SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding, " +
        "datcollate AS collate, datctype AS ctype FROM pg_database WHERE datname = $1",
      [db.database],
    );
    if (!facts)
      throw new ZopsError("POSTGRES", `database '${db.database}' does not exist: cannot restore the restore point`);
    await maintenanceQuery(
      db,
      tag,
      `drop the unfinished scratch database '${scratch}'`,
      `DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`,
    );
    await maintenanceQuery(
      db,
      tag,
      `create the scratch database '${scratch}'`,
      `CREATE DATABASE ${quoteIdent(scratch)} WITH TEMPLATE template0 OWNER ${quoteIdent(facts.owner)} ` +
        `ENCODING '${facts.encoding}' LC_COLLATE '${facts.collate.replace(/'/g, "''")}' ` +
        `LC_CTYPE '${facts.ctype.replace(/'/g, "''")}'`,
    );
    crashPoint("restore-point.created-scratch");
    const runAs = await postgresRunAs();
    const bin = await findPgBinDir(options.binDir);
    await run(join(bin, "pg_restore"), ["--exit-on-error", "--dbname", scratch, file], {
      uid: runAs?.uid,
      gid: runAs?.gid,
      env: pgEnv(db, tag),
      errorCode: "POSTGRES",
      hint: `the restore point ${file} could not be restored; the application's database was not touched`,
    });
    crashPoint("restore-point.restored-scratch");
  }
  await options.onPhase("swapping");
  if (await databaseExists(db, tag, scratch)) {
    if ((await databaseExists(db, tag, db.database)) && !(await databaseExists(db, tag, parked)))
      await renameDatabase(db, tag, db.database, parked);
    crashPoint("restore-point.parked-old");
    await renameDatabase(db, tag, scratch, db.database);
  }
  crashPoint("restore-point.swapped");
  if (!options.keepReplaced) await dropReplacedDatabase(db, options.runId, tag);
};

/** Drops the database a restore replaced (kept aside by `keepReplaced`); idempotent. */
export const dropReplacedDatabase = async (db: PostgresSettings, runId: string, tag: string): Promise<void> => {
  const { parked } = restoreDatabaseNames(db.database, runId);
  await maintenanceQuery(
    db,
    tag,
    `drop the replaced database '${parked}'`,
    `DROP DATABASE IF EXISTS ${quoteIdent(parked)} WITH (FORCE)`,
  );
};

/**
 * Undoes a restore made with `keepReplaced` (complete or not): puts the replaced database back in place and drops the
 * restored one. Idempotent.
 * @throws POSTGRES
 */
export const undoRestore = async (db: PostgresSettings, runId: string, tag: string): Promise<void> => {
  const { scratch, parked } = restoreDatabaseNames(db.database, runId);
  if (await databaseExists(db, tag, parked)) {
    if (await databaseExists(db, tag, db.database)) {
      await maintenanceQuery(
        db,
        tag,
        `drop '${scratch}'`,
        `DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`,
      );
      await renameDatabase(db, tag, db.database, scratch);
    }
    await renameDatabase(db, tag, parked, db.database);
  }
  await maintenanceQuery(
    db,
    tag,
    `drop the restored database '${scratch}'`,
    `DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`,
  );
};

/** Deletes a restore point file (idempotent). */
export const removeRestorePoint = (file: string): Promise<void> => rm(file, { force: true });

/** Deletes every restore point under `dir` (spent ones after a recovery; idempotent); returns the names removed. */
export const removeRestorePoints = async (dir: string): Promise<string[]> => {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".dump"));
  for (const name of names) await rm(join(dir, name), { force: true });
  return names;
};
