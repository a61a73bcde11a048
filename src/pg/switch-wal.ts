import type pg from "pg";
import { queryRows } from "./query.js";

/**
 * Makes the server close its current WAL segment so the archiver ships it, even on an idle cluster: a tiny
 * non-transactional WAL record first (`pg_switch_wal()` alone is a no-op while the segment holds nothing), then the
 * switch. Returns the switch LSN. Not idempotent: each call may close one more segment. Needs superuser or the
 * execute grants on both functions.
 * @throws POSTGRES naming the step
 */
export const forceWalSwitch = async (client: pg.Client): Promise<string> => {
  await queryRows(
    client,
    "writing a WAL record before the switch",
    "select pg_logical_emit_message(false, 'zops', 'switch wal')",
  );
  const [row] = await queryRows<{ lsn: string }>(client, "switching WAL", "select pg_switch_wal()::text as lsn");
  return row?.lsn ?? "0/0";
};
