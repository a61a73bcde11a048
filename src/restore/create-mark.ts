import { ZopsError } from "../errors/index.js";
import { withPostgres, type PostgresSettings } from "../pg/connect.js";
import { makeMark, type RestorePointMark } from "./marks.js";

/**
 * Creates restore point `name` on the cluster (pg_create_restore_point) and returns its record: the LSN, the server's
 * clock right after it, the timeline and the cluster's identity. Not idempotent: each call writes a new WAL record.
 * Checks `expectedSystemIdentifier` first, when given, and creates nothing for another cluster.
 * @throws POSTGRES when the server cannot be reached or refuses (a standby, a missing privilege).
 * @throws REPO_INVALID when the cluster is not the repository's.
 */
export const createRestorePoint = async (
  settings: PostgresSettings,
  name: string,
  expectedSystemIdentifier: string | undefined,
): Promise<RestorePointMark> =>
  withPostgres(settings, async (client) => {
    const facts = (
      await client.query<{ sysid: string; version: string }>(
        "select (select system_identifier::text from pg_control_system()) as sysid, " +
          "current_setting('server_version_num') as version",
      )
    ).rows[0];
    if (expectedSystemIdentifier && facts?.sysid !== expectedSystemIdentifier)
      throw new ZopsError(
        "REPO_INVALID",
        `the repository belongs to PostgreSQL cluster ${expectedSystemIdentifier}, not to the cluster at ` +
          `${settings.host}:${settings.port} (${facts?.sysid})`,
        { hint: "point postgres.host/port at the cluster this repository backs up" },
      );
    let row: { lsn: string; time: string; wal: string } | undefined;
    try {
      // Evaluated left to right: the time is read right after the record was written.
      row = (
        await client.query<{ lsn: string; time: string; wal: string }>(
          "select p.lsn::text as lsn, " +
            `to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as time, ` +
            "pg_walfile_name(p.lsn) as wal from (select pg_create_restore_point($1) as lsn) p",
          [name],
        )
      ).rows[0];
    } catch (error) {
      throw new ZopsError("POSTGRES", `pg_create_restore_point('${name}') failed: ${(error as Error).message}`, {
        hint: "run zops mark against the primary (a standby cannot create restore points), as a superuser",
        cause: error,
      });
    }
    if (!row || !facts) throw new ZopsError("POSTGRES", `pg_create_restore_point('${name}') returned nothing`);
    return makeMark({
      name,
      lsn: row.lsn,
      time: row.time,
      timeline: Number.parseInt(row.wal.slice(0, 8), 16),
      systemIdentifier: facts.sysid,
      pgVersion: Math.floor(Number(facts.version) / 10000),
    });
  });
