import { setTimeout as sleep } from "node:timers/promises";
import { findWalObject } from "../../wal/catalog.js";
import type { Probe, ProbeResult } from "../probe.js";

/** How often the active archive probe looks for the switched segment in the repository. */
const POLL_MS = 250;

/**
 * The active probe of `zops check --archive` (like `pgbackrest check`): makes PostgreSQL switch to a new WAL segment
 * (pg_switch_wal) and waits up to `timeoutMs` for the segment it finished to land in the repository; critical when it
 * does not, or when WAL cannot be switched (a standby, missing privilege).
 */
export const archivePushProbe =
  (timeoutMs: number): Probe =>
  async (context): Promise<ProbeResult> => {
    let name: string;
    try {
      const [row] = await context.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
      name = row?.name ?? "";
    } catch (error) {
      return {
        name: "archive",
        status: "critical",
        message: `cannot switch WAL to test archiving: ${(error as Error).message} (a standby, or not a superuser?)`,
        metrics: { wal_switch_archived: 0 },
      };
    }
    const storage = await context.storage();
    const started = performance.now();
    for (;;) {
      if (await findWalObject(storage, name)) {
        const seconds = (performance.now() - started) / 1000;
        return {
          name: "archive",
          status: "ok",
          message: `switched WAL: ${name} reached ${storage.location} in ${seconds.toFixed(1)} s`,
          metrics: { wal_switch_archived: 1, wal_switch_archive_seconds: seconds },
        };
      }
      if (performance.now() - started >= timeoutMs) break;
      await sleep(POLL_MS);
    }
    return {
      name: "archive",
      status: "critical",
      message:
        `switched WAL, but ${name} did not reach ${storage.location} within ${Math.round(timeoutMs / 1000)} s: ` +
        "archiving is failing or stuck (see pg_stat_archiver.last_failed_wal and the PostgreSQL log)",
      metrics: { wal_switch_archived: 0 },
    };
  };
