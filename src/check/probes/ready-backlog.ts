import { rate, worstStatus, type Probe } from "../probe.js";

/**
 * `.ready` files waiting in pg_wal/archive_status: count against check.readyWarn/readyCritical and the oldest one's age
 * against check.archiveWarnMinutes/archiveCriticalMinutes.
 */
export const readyBacklogProbe: Probe = async (context) => {
  const backlog = await context.readyBacklog();
  const { readyWarn, readyCritical, archiveWarnMinutes, archiveCriticalMinutes } = context.config.check;
  const countLimits = { warn: readyWarn, crit: readyCritical };
  const ageLimits = { warn: archiveWarnMinutes * 60, crit: archiveCriticalMinutes * 60 };
  const oldest = Math.round(backlog.oldestAgeSeconds ?? 0);
  return {
    name: "ready-backlog",
    status: worstStatus([rate(backlog.count, countLimits), rate(oldest, ageLimits)]),
    message:
      backlog.count === 0
        ? "no WAL waiting to be archived"
        : `${backlog.count} WAL file(s) waiting to be archived, oldest ${oldest} s`,
    metrics: { wal_ready_files: backlog.count, wal_ready_oldest_age_seconds: oldest },
    thresholds: { wal_ready_files: countLimits, wal_ready_oldest_age_seconds: ageLimits },
  };
};
