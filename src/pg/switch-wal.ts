import type pg from "pg";

/**
 * Makes the server close its current WAL segment so the archiver ships it, even on an idle cluster: a tiny
 * non-transactional WAL record first (`pg_switch_wal()` alone is a no-op while the segment holds nothing), then the
 * switch. Returns the switch LSN. Not idempotent: each call may close one more segment. Needs superuser or the
 * execute grants on both functions.
 */
export const forceWalSwitch = async (client: pg.Client): Promise<string> => {
  await client.query("select pg_logical_emit_message(false, 'zops', 'switch wal')");
  const { rows } = await client.query<{ lsn: string }>("select pg_switch_wal()::text as lsn");
  return rows[0]?.lsn ?? "0/0";
};
