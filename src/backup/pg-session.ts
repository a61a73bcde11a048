import type pg from "pg";
import type { ZopsError } from "../errors/index.js";
import { postgresError } from "../pg/query.js";

// The PostgreSQL side of a non-exclusive base backup, on ONE held connection: PostgreSQL aborts
// the backup if that session ends, so a killed zops never leaves the cluster in backup mode.

export interface BackupStart {
  readonly lsn: string;
  readonly timeline: number;
}

export interface BackupStop {
  readonly lsn: string;
  readonly backupLabel: string;
  readonly tablespaceMap: string | null;
  /** Server clock right after the stop (ISO 8601, UTC, microseconds). */
  readonly stopTime: string;
}

/** The hint of a failed backup query. */
export const BACKUP_PRIVILEGES_HINT =
  "check the PostgreSQL log; the backup user needs superuser or pg_backup_start/stop privileges";

const queryError = (what: string, error: unknown): ZopsError => postgresError(what, error, BACKUP_PRIVILEGES_HINT);

/**
 * Starts a non-exclusive backup (pg_backup_start on 15+, pg_start_backup on 13-14); returns the start LSN and timeline.
 * Throws POSTGRES.
 */
export const startBackup = async (
  client: pg.Client,
  pgVersion: number,
  label: string,
  fast: boolean,
): Promise<BackupStart> => {
  try {
    const sql =
      pgVersion >= 15
        ? "select pg_backup_start($1, $2)::text as lsn"
        : "select pg_start_backup($1, $2, false)::text as lsn";
    const lsn = (await client.query<{ lsn: string }>(sql, [label, fast])).rows[0]?.lsn;
    const timeline = (await client.query<{ tli: number }>("select timeline_id as tli from pg_control_checkpoint()"))
      .rows[0]?.tli;
    if (!lsn || timeline === undefined) throw new Error("no start LSN returned");
    return { lsn, timeline: Number(timeline) };
  } catch (error) {
    throw queryError("pg_backup_start()", error);
  }
};

// Evaluated after the function in FROM returned: never earlier than the consistency point.
const STOP_TIME = `to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Stops the backup on the same connection (PostgreSQL switches to a new segment; zops waits for the archive itself,
 * with a timeout, in wal-wait.ts); returns the stop LSN, backup_label and tablespace_map contents. Throws POSTGRES.
 */
export const stopBackup = async (client: pg.Client, pgVersion: number): Promise<BackupStop> => {
  try {
    const sql =
      pgVersion >= 15
        ? `select lsn::text as lsn, labelfile, spcmapfile, ${STOP_TIME} as stop_time from pg_backup_stop(false)`
        : `select lsn::text as lsn, labelfile, spcmapfile, ${STOP_TIME} as stop_time from pg_stop_backup(false, false)`;
    const row = (
      await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null; stop_time: string }>(sql)
    ).rows[0];
    if (!row) throw new Error("no row returned");
    return {
      lsn: row.lsn,
      stopTime: row.stop_time,
      backupLabel: row.labelfile,
      tablespaceMap: row.spcmapfile && row.spcmapfile.length > 0 ? row.spcmapfile : null,
    };
  } catch (error) {
    throw queryError("pg_backup_stop()", error);
  }
};
