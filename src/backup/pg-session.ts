import type pg from "pg";
import { ZopsError } from "../errors/index.js";

// The PostgreSQL side of a non-exclusive base backup, on ONE held connection: PostgreSQL aborts
// the backup if that session ends, so a killed zops never leaves the cluster in backup mode.

/** Facts about the cluster, read before the backup starts. */
export interface ClusterFacts {
  readonly pgVersion: number;
  readonly systemIdentifier: string;
  readonly walSegmentSize: number;
  readonly dataDirectory: string;
  readonly inRecovery: boolean;
  readonly archiveMode: string;
  readonly tablespaces: { oid: string; name: string; location: string }[];
}

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

const queryError = (what: string, error: unknown): ZopsError =>
  new ZopsError("POSTGRES", `${what} failed: ${(error as Error).message}`, {
    hint: "check the PostgreSQL log; the backup user needs superuser or pg_backup_start/stop privileges",
    cause: error,
  });

/** Reads version, system identifier, WAL segment size, data directory and tablespaces; throws POSTGRES. */
export const readClusterFacts = async (client: pg.Client): Promise<ClusterFacts> => {
  try {
    const facts = await client.query<{
      version: string;
      sysid: string;
      segsize: string;
      datadir: string;
      recovery: boolean;
      archive_mode: string;
    }>(
      `select current_setting('server_version_num') as version, ` +
        `(select system_identifier::text from pg_control_system()) as ` +
        `sysid,
              (select setting from pg_settings where ` +
        `name = 'wal_segment_size') as segsize, ` +
        `current_setting('data_directory') as datadir,
              ` +
        `pg_is_in_recovery() as recovery, ` +
        `current_setting('archive_mode') as archive_mode`,
    );
    const row = facts.rows[0];
    if (!row) throw new Error("no row");
    const spaces = await client.query<{ oid: string; name: string; location: string }>(
      "select oid::text as oid, spcname as name, " +
        "pg_tablespace_location(oid) as location from pg_tablespace " +
        "where spcname not in ('pg_default', 'pg_global') order by oid",
    );
    return {
      pgVersion: Math.floor(Number(row.version) / 10000),
      systemIdentifier: row.sysid,
      walSegmentSize: Number(row.segsize),
      dataDirectory: row.datadir,
      inRecovery: row.recovery,
      archiveMode: row.archive_mode,
      tablespaces: spaces.rows,
    };
  } catch (error) {
    throw queryError("reading cluster facts", error);
  }
};

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
