// The one catalog of the numbers `zops check` reports. Every probe metric is named here with its Prometheus type,
// help text and unit, so that the JSON, Nagios perfdata and Prometheus outputs use the same names and the
// Prometheus output always passes `promtool check metrics` (HELP and TYPE on every metric, counters end in _total,
// base units in names, no _count suffix on a gauge).

/** How a metric behaves: a gauge goes up and down, a counter only grows (until its source is reset). */
export type MetricType = "gauge" | "counter";

/** One catalog entry. `uom` is the Nagios perfdata unit (s, B, c for counters, none for plain numbers). */
export interface MetricInfo {
  readonly type: MetricType;
  readonly help: string;
  readonly uom: "" | "s" | "B" | "c";
}

const gauge = (help: string, uom: MetricInfo["uom"] = ""): MetricInfo => ({ type: "gauge", help, uom });
const counter = (help: string): MetricInfo => ({ type: "counter", help, uom: "c" });

/** Every probe metric, by name without the `zops_` prefix. Pure data. */
export const METRICS = {
  postgres_up: gauge("1 when zops check connected to PostgreSQL and ran a query, else 0."),
  repository_up: gauge("1 when the repository answered and carries a zops marker this version reads, else 0."),
  repository_latency_seconds: gauge("Time to open the repository (read its marker).", "s"),
  archive_configured: gauge("1 when archive_mode is on and archive_command runs zops wal-push, else 0."),
  wal_archived_total: counter("WAL files PostgreSQL archived (pg_stat_archiver.archived_count)."),
  wal_archive_failures_total: counter("Failed archive_command runs (pg_stat_archiver.failed_count)."),
  wal_archive_failing: gauge("1 when PostgreSQL's last archive attempt failed, else 0."),
  wal_last_archived_age_seconds: gauge("Age of the last successfully archived WAL file.", "s"),
  wal_last_archived_present: gauge("1 when the WAL file PostgreSQL last archived is in the repository, else 0."),
  wal_ready_files: gauge("WAL files waiting to be archived (.ready files in pg_wal/archive_status)."),
  wal_ready_oldest_age_seconds: gauge("Age of the oldest WAL file waiting to be archived (0 when none).", "s"),
  wal_switch_archived: gauge(
    "1 when the segment zops check --archive switched reached the repository in time, else 0.",
  ),
  wal_switch_archive_seconds: gauge("Time from pg_switch_wal() to the segment being in the repository.", "s"),
  backups: gauge("Restorable backups in the repository."),
  backups_unrestorable: gauge("Backups that cannot be restored (damaged manifest, missing or truncated objects)."),
  backup_age_seconds: gauge("Time since the newest backup finished.", "s"),
  wal_missing_segments: gauge("WAL segments missing from the chain of the kept backups."),
  drill_age_seconds: gauge("Time since the last restore drill finished.", "s"),
  drill_ok: gauge("1 when the last restore drill passed, else 0."),
  drill_rto_seconds: gauge("Recovery time of the last restore drill (start to first query answered).", "s"),
  drill_rpo_seconds: gauge("Data-loss window the last restore drill measured.", "s"),
} as const satisfies Record<string, MetricInfo>;

/** The name of a catalogued metric (without the `zops_` prefix). */
export type MetricName = keyof typeof METRICS;

/** The Prometheus name of a catalogued metric: `zops_<name>`. Pure. */
export const prometheusName = (name: MetricName): string => `zops_${name}`;
