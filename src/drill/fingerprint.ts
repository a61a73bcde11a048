import type pg from "pg";
import { withPostgres, type PostgresSettings } from "../pg/connect.js";
import { compareLsn } from "../pg/lsn.js";
import { postgresError, queryRows } from "../pg/query.js";

/** One table's content summary at the capture snapshot. */
export interface TableFingerprint {
  readonly rows: number;
  /** Order-independent sum of per-row hashes, or undefined when the table exceeded the size cap (rows only). */
  readonly hash: string | undefined;
  /** Inserts+updates+deletes the source counted on this table while the capture ran (0 = quiet). */
  readonly writesDuringCapture: number;
}

/** Data fingerprints of every database, taken after a backup, so a drill can prove the restored data. */
export interface Fingerprints {
  readonly capturedAt: string;
  /** LSN at which the restored cluster is compared (max over databases of the snapshot LSN). */
  readonly lsn: string;
  readonly databases: Record<string, Record<string, TableFingerprint>>;
}

const TABLES = `
  select c.oid::regclass::text as name, pg_relation_size(c.oid) as bytes
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'm')
    and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
  order by 1`;

const COUNTERS = `
  select relid::regclass::text as name, (n_tup_ins + n_tup_upd + n_tup_del)::text as writes from pg_stat_user_tables`;

const readCounters = async (client: pg.Client): Promise<Map<string, bigint>> => {
  const rows = (await client.query<{ name: string; writes: string }>(COUNTERS)).rows;
  return new Map(rows.map((row) => [row.name, BigInt(row.writes)]));
};

// Fingerprints one database inside one REPEATABLE READ snapshot; returns its snapshot LSN and tables. Read-only.
const captureDatabase = async (
  client: pg.Client,
  maxTableBytes: number,
): Promise<{ lsn: string; tables: Record<string, TableFingerprint> }> => {
  const before = await readCounters(client);
  await client.query("begin isolation level repeatable read read only");
  try {
    const { rows: lsnRows } = await client.query<{ lsn: string }>(
      "select (case when pg_is_in_recovery() then " +
        "pg_last_wal_replay_lsn() else pg_current_wal_insert_lsn() " +
        "end)::text as lsn",
    );
    const tables = (await client.query<{ name: string; bytes: string }>(TABLES)).rows;
    const result: Record<string, { rows: number; hash: string | undefined }> = {};
    for (const table of tables) {
      const full = Number(table.bytes) <= maxTableBytes;
      const sql = full
        ? `select count(*)::text as rows, ` +
          `coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text ` +
          `as hash from ${table.name} t`
        : `select count(*)::text as rows, null as hash from ${table.name}`;
      const { rows } = await client.query<{ rows: string; hash: string | null }>(sql);
      result[table.name] = { rows: Number(rows[0]?.rows ?? 0), hash: rows[0]?.hash ?? undefined };
    }
    await client.query("commit");
    const after = await readCounters(client);
    const tablesOut: Record<string, TableFingerprint> = {};
    for (const [name, value] of Object.entries(result)) {
      const delta = (after.get(name) ?? 0n) - (before.get(name) ?? 0n);
      tablesOut[name] = { ...value, writesDuringCapture: Number(delta) };
    }
    return { lsn: lsnRows[0]?.lsn ?? "0/0", tables: tablesOut };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
};

/**
 * Captures fingerprints of every connectable database (read-only; one snapshot per database). Tables above
 * `maxTableBytes` get a row count only.
 * @throws POSTGRES naming the database and what was being read.
 */
export const captureFingerprints = async (
  settings: PostgresSettings,
  options: { maxTableBytes?: number } = {},
): Promise<Fingerprints> => {
  const maxTableBytes = options.maxTableBytes ?? 1024 ** 3;
  const databases = await withPostgres(settings, async (client) =>
    (
      await queryRows<{ datname: string }>(
        client,
        "listing the databases to fingerprint",
        "select datname from pg_database where datallowconn and not datistemplate order by 1",
      )
    ).map((row) => row.datname),
  );
  const result: Record<string, Record<string, TableFingerprint>> = {};
  let lsn = "0/0";
  for (const database of databases) {
    const captured = await withPostgres(
      settings,
      (client) =>
        captureDatabase(client, maxTableBytes).catch((error: unknown) => {
          throw postgresError(`fingerprinting the tables of database '${database}'`, error);
        }),
      { database },
    );
    result[database] = captured.tables;
    if (compareLsn(captured.lsn, lsn) > 0) lsn = captured.lsn;
  }
  return { capturedAt: new Date().toISOString(), lsn, databases: result };
};

/** One difference between a fingerprint and restored data. */
export interface FingerprintMismatch {
  readonly database: string;
  readonly table: string;
  readonly problem: string;
}

/**
 * Compares fingerprints taken at the source with those of the restored data. Tables written during the capture get a
 * tolerance of their write count on the row count and no hash check; all others must match exactly.
 */
export const compareFingerprints = (expected: Fingerprints, actual: Fingerprints): FingerprintMismatch[] => {
  const problems: FingerprintMismatch[] = [];
  for (const [database, tables] of Object.entries(expected.databases)) {
    const restored = actual.databases[database];
    if (!restored) {
      problems.push({ database, table: "*", problem: "database missing after restore" });
      continue;
    }
    for (const [table, want] of Object.entries(tables)) {
      const got = restored[table];
      if (!got) {
        problems.push({ database, table, problem: "table missing after restore" });
      } else if (want.writesDuringCapture > 0) {
        if (Math.abs(got.rows - want.rows) > want.writesDuringCapture) {
          problems.push({
            database,
            table,
            problem:
              `row count ${got.rows}, expected ${want.rows} ± ` +
              `${want.writesDuringCapture} (written during capture)`,
          });
        }
      } else if (got.rows !== want.rows) {
        problems.push({ database, table, problem: `row count ${got.rows}, expected ${want.rows}` });
      } else if (want.hash !== undefined && got.hash !== undefined && got.hash !== want.hash) {
        problems.push({ database, table, problem: "content hash differs with the same row count" });
      }
    }
  }
  return problems;
};
