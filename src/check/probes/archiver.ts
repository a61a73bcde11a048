import { rate, type Probe, type ProbeStatus } from "../probe.js";

/**
 * pg_stat_archiver: failing now (last failure after last success)? And how old is the last archived file while WAL is
 * waiting? An idle server that has nothing to archive is fine however old its last archive is.
 */
export const archiverProbe: Probe = async (context) => {
  const stats = await context.archiver();
  const backlog = await context.readyBacklog();
  const { archiveWarnMinutes, archiveCriticalMinutes } = context.config.check;
  const limits = { warn: archiveWarnMinutes * 60, crit: archiveCriticalMinutes * 60 };
  const now = stats.now.getTime();
  const age = stats.last_archived_time ? (now - stats.last_archived_time.getTime()) / 1000 : undefined;
  const failing =
    stats.last_failed_time !== null &&
    (stats.last_archived_time === null || stats.last_failed_time > stats.last_archived_time);
  const waiting = backlog.oldestAgeSeconds ?? 0;
  let status: ProbeStatus = "ok";
  const parts: string[] = [];
  if (failing) {
    status = waiting >= limits.crit ? "critical" : "warning";
    parts.push(
      `archiving is failing: last failure ` +
        `${stats.last_failed_wal ?? "?"} at ` +
        `${stats.last_failed_time?.toISOString()} (see the PostgreSQL ` +
        `log for the zops line)`,
    );
  }
  if (backlog.count > 0) {
    const lag = age ?? waiting;
    const byAge = rate(lag, limits);
    if (byAge === "critical" || (byAge === "warning" && status === "ok")) status = byAge;
    parts.push(
      age === undefined
        ? `nothing archived yet while ${backlog.count} file(s) wait`
        : `last archived ${stats.last_archived_wal} ${Math.round(age)} s ago with ${backlog.count} file(s) waiting`,
    );
  } else {
    parts.push(
      stats.last_archived_wal
        ? `idle: last archived ${stats.last_archived_wal} ${Math.round(age ?? 0)} s ago, nothing waiting`
        : "nothing archived yet, nothing waiting",
    );
  }
  parts.push(`failed_count ${stats.failed_count}`);
  return {
    name: "archiver",
    status,
    message: parts.join("; "),
    metrics: {
      wal_archived_total: stats.archived_count,
      wal_archive_failures_total: stats.failed_count,
      wal_archive_failing: failing ? 1 : 0,
      ...(age === undefined ? {} : { wal_last_archived_age_seconds: Math.round(age) }),
    },
    thresholds: { wal_last_archived_age_seconds: limits },
  };
};
