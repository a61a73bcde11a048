import { chown, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { withLocalErrors } from "../errors/index.js";
import { run } from "../exec/run.js";
import { findPgBinDir } from "../pg/bin-dir.js";
import { withPostgres, type PostgresSettings } from "../pg/connect.js";
import { queryRows } from "../pg/query.js";
import { postgresRunAs } from "../pg/os-user.js";

// Why pg_dump and not a savepoint or a template clone: node-pg-migrate commits before the new
// release starts, and the health gate needs the committed schema, so a transaction cannot stay open
// across it; `CREATE DATABASE ... TEMPLATE app` needs the app database free of every connection
// (cron jobs, monitoring) and copies it whole. A custom-format dump is taken while the service is
// stopped (nothing writes between dump and migration), works on a live cluster, and restoring it
// into a recreated database also removes objects the failed migrations created.

const pgEnv = (db: PostgresSettings) => ({ PGHOST: db.host, PGPORT: String(db.port), PGUSER: db.user });

/**
 * Dumps the app database (pg_dump -Fc, as the postgres OS user when root) to `<dir>/<label>.dump`; returns the path.
 * @throws POSTGRES when pg_dump fails; DISK_FULL, LOCAL_ACCESS or LOCAL_IO when `dir` cannot be created.
 */
export const createRestorePoint = async (
  db: PostgresSettings,
  dir: string,
  label: string,
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
    env: pgEnv(db),
    errorCode: "POSTGRES",
    hint: "the restore point is taken only when a pending migration has no down step",
  });
  return file;
};

/**
 * Replaces the app database by the restore point: DROP DATABASE ... WITH (FORCE), then pg_restore --create. Idempotent;
 * throws POSTGRES.
 */
export const restoreRestorePoint = async (db: PostgresSettings, file: string, binDir?: string): Promise<void> => {
  const runAs = await postgresRunAs();
  const bin = await findPgBinDir(binDir);
  await withPostgres({ ...db, database: "postgres" }, async (client) => {
    await queryRows(
      client,
      `dropping database '${db.database}' to replace it by the restore point`,
      `DROP DATABASE IF EXISTS "${db.database.replace(/"/g, '""')}" WITH (FORCE)`,
    );
  });
  await run(join(bin, "pg_restore"), ["--create", "--exit-on-error", "--dbname", "postgres", file], {
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: pgEnv(db),
    errorCode: "POSTGRES",
  });
};

/** Deletes a restore point file (idempotent). */
export const removeRestorePoint = (file: string): Promise<void> => rm(file, { force: true });
