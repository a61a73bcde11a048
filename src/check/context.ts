import type pg from "pg";
import type { ZopsConfig } from "../config/index.js";
import { connectPostgres } from "../pg/connect.js";
import { openStorage } from "../storage/open.js";
import type { Storage } from "../storage/storage.js";
import type { ArchiverStats, CheckContext, ReadyBacklog } from "./probe.js";

/** Builds the shared, lazy context of one `zops check` run; close() releases the connection and storage. */
export const createCheckContext = (
  config: ZopsConfig,
  now: () => Date = () => new Date(),
): CheckContext & { close(): Promise<void> } => {
  let client: Promise<pg.Client> | undefined;
  let storage: Promise<Storage> | undefined;
  let archiver: Promise<ArchiverStats> | undefined;
  let backlog: Promise<ReadyBacklog> | undefined;
  // Probes run in parallel but share one connection: queries are chained, one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const query = <T>(sql: string): Promise<T[]> => {
    client ??= connectPostgres(config.postgres, { applicationName: "zops check" });
    const connection = client;
    const result = queue.then(async () => (await (await connection).query(sql)).rows as T[]);
    queue = result.catch(() => undefined);
    return result;
  };
  return {
    config,
    now,
    query,
    archiver: () =>
      (archiver ??= query<ArchiverStats>(
        "select archived_count::int, failed_count::int, " +
          "last_archived_wal, last_archived_time, last_failed_wal, " +
          "last_failed_time, now() as now from pg_stat_archiver",
      ).then((rows) => rows[0] as ArchiverStats)),
    readyBacklog: () =>
      (backlog ??= query<{ count: number; oldest: number | null }>(
        "select count(*)::int as count, extract(epoch from now() - " +
          "min(modification))::float8 as oldest from " +
          "pg_ls_archive_statusdir() where name like '%.ready'",
      ).then((rows) => ({ count: rows[0]?.count ?? 0, oldestAgeSeconds: rows[0]?.oldest ?? undefined }))),
    storage: () => (storage ??= openStorage(config)),
    close: async () => {
      if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
      if (storage) await (await storage.catch(() => undefined))?.close?.().catch(() => undefined);
    },
  };
};
