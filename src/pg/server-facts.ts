import type pg from "pg";
import { postgresError } from "./query.js";

/** What a running server says about its cluster over SQL (compare ControlFileFacts, read from files). */
export interface ServerFacts {
  readonly pgVersion: number;
  readonly systemIdentifier: string;
  readonly walSegmentSize: number;
  readonly dataDirectory: string;
  readonly inRecovery: boolean;
  readonly archiveMode: string;
  readonly tablespaces: { oid: string; name: string; location: string }[];
}

/**
 * Reads version, system identifier, WAL segment size, data directory, recovery state, archive_mode and tablespaces.
 * Read-only.
 * @throws POSTGRES naming the query.
 */
export const readServerFacts = async (client: pg.ClientBase, hint?: string): Promise<ServerFacts> => {
  try {
    const facts = await client.query<{
      version: string;
      sysid: string;
      segsize: string;
      datadir: string;
      recovery: boolean;
      archive_mode: string;
    }>(
      "select current_setting('server_version_num') as version, " +
        "(select system_identifier::text from pg_control_system()) as sysid, " +
        "(select setting from pg_settings where name = 'wal_segment_size') as segsize, " +
        "current_setting('data_directory') as datadir, " +
        "pg_is_in_recovery() as recovery, " +
        "current_setting('archive_mode') as archive_mode",
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
    throw postgresError("reading the server facts", error, hint);
  }
};
