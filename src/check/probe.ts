import type { ZopsConfig } from "../config/index.js";
import type { Storage } from "../storage/storage.js";
import type { MetricName } from "./metrics.js";

// The shape every `zops check` probe shares. A probe is one file under probes/ returning one result; add it to
// registry.ts. Probes never throw for a failed check (they return critical); a thrown error becomes `unknown`.

export type ProbeStatus = "ok" | "warning" | "critical" | "unknown";

/** Warning and critical limits of a metric (for Nagios perfdata). */
export interface Thresholds {
  readonly warn: number;
  readonly crit: number;
}

export interface ProbeResult {
  /** Stable kebab-case name (`archiver`, `ready-backlog`); also the Prometheus label. */
  readonly name: string;
  readonly status: ProbeStatus;
  /** One line for people. */
  readonly message: string;
  /** Numbers for graphs, named in the catalog (metrics.ts): base units (seconds, bytes, counts). */
  readonly metrics: Readonly<Partial<Record<MetricName, number>>>;
  readonly thresholds?: Readonly<Partial<Record<MetricName, Thresholds>>>;
  /** Set when the probe did not run because a probe it needs failed (`postgres`, `repository`): that one's name. */
  readonly skippedBecause?: string;
}

/** Row of pg_stat_archiver plus the server's clock. */
export interface ArchiverStats {
  readonly archived_count: number;
  readonly failed_count: number;
  readonly last_archived_wal: string | null;
  readonly last_archived_time: Date | null;
  readonly last_failed_wal: string | null;
  readonly last_failed_time: Date | null;
  readonly now: Date;
}

/** `.ready` files waiting in pg_wal/archive_status. */
export interface ReadyBacklog {
  readonly count: number;
  readonly oldestAgeSeconds: number | undefined;
}

/** What probes share; each accessor connects or queries once, on first use. */
export interface CheckContext {
  readonly config: ZopsConfig;
  query<T>(sql: string): Promise<T[]>;
  archiver(): Promise<ArchiverStats>;
  readyBacklog(): Promise<ReadyBacklog>;
  storage(): Promise<Storage>;
  /** The check's clock: every age is measured against it (tests inject a fixed one). */
  now(): Date;
}

export type Probe = (context: CheckContext) => Promise<ProbeResult>;

/** A probe as the registry lists it: `needs` names the probes whose failure makes this one pointless to run. */
export interface ProbeEntry {
  readonly name: string;
  readonly probe: Probe;
  readonly needs: readonly string[];
}

const SEVERITY: Record<ProbeStatus, number> = { ok: 0, warning: 1, unknown: 2, critical: 3 };

/** The worst of several statuses (critical > unknown > warning > ok); ok for none. */
export const worstStatus = (statuses: readonly ProbeStatus[]): ProbeStatus =>
  statuses.reduce<ProbeStatus>((worst, status) => (SEVERITY[status] > SEVERITY[worst] ? status : worst), "ok");

/** Nagios exit status of a status: ok 0, warning 1, critical 2, unknown 3. */
export const nagiosExit = (status: ProbeStatus): number => ({ ok: 0, warning: 1, critical: 2, unknown: 3 })[status];

/** Status of `value` against thresholds where higher is worse (pure). */
export const rate = (value: number, limits: Thresholds): ProbeStatus =>
  value >= limits.crit ? "critical" : value >= limits.warn ? "warning" : "ok";
