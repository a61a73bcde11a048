import type { BackupManifest } from "../backup/manifest.js";
import type { DrillReport } from "../drill/report.js";
import { nextSegment, segmentRange } from "../pg/wal-segment.js";
import type { UpgradeEvent } from "./upgrade-history.js";
import type { SegmentTime } from "./wal-times.js";

/** What the report is made from, all read-only: the repository's listings, the config, the upgrade log. */
export interface ReportInputs {
  readonly repository: string;
  /** Restorable backups only: the recovery window is built from these. */
  readonly backups: readonly BackupManifest[];
  /** Backups that cannot be restored (damaged manifest, missing or truncated objects), with the reason. */
  readonly unrestorable?: readonly { readonly id: string; readonly reason: string }[];
  readonly segments: readonly SegmentTime[];
  readonly drills: readonly DrillReport[];
  readonly retention: { readonly full: number };
  /** undefined when there is no upgrade log (no upgrade ever ran on this machine). */
  readonly upgrades: readonly UpgradeEvent[] | undefined;
  readonly upgradeLog: string;
}

export interface Interval {
  readonly from: Date;
  readonly to: Date;
}

/** A run of WAL segments missing from the archive: recovery cannot cross it. */
export interface WalGap extends Interval {
  readonly firstMissing: string;
  readonly missing: number;
}

export interface BackupRow {
  readonly id: string;
  readonly type: "full" | "incr";
  readonly startedAt: Date;
  readonly stoppedAt: Date;
  readonly durationMs: number;
  readonly databaseBytes: number;
  readonly storedBytes: number;
  /** The time range this backup can recover to (consistent point to the end of its unbroken WAL), if any. */
  readonly recoverable: Interval | undefined;
}

export interface DrillRow {
  readonly id: string;
  readonly backup: string | undefined;
  readonly finishedAt: Date;
  readonly ok: boolean;
  readonly rtoMs: number | undefined;
  readonly rpoSeconds: number | undefined;
  readonly failed: readonly string[];
}

/** Last, median and worst of a figure over the recent drills. */
export interface Spread {
  readonly last: number;
  readonly median: number;
  readonly max: number;
}

/** Everything the page shows, computed once (pure): the renderers only format it. */
export interface ReportModel {
  readonly generatedAt: Date;
  readonly repository: string;
  /** Earliest to latest recoverable time (with gaps inside, see `gaps`); undefined without a restorable backup. */
  readonly window: Interval | undefined;
  /** The recoverable time ranges (union over backups). */
  readonly coverage: readonly Interval[];
  readonly gaps: readonly WalGap[];
  readonly newestSegment: SegmentTime | undefined;
  readonly backups: readonly BackupRow[];
  readonly unrestorable: readonly { readonly id: string; readonly reason: string }[];
  readonly drills: readonly DrillRow[];
  /** How many of the newest drills the RTO/RPO spreads cover. */
  readonly recentDrills: number;
  readonly rto: Spread | undefined;
  readonly rpo: Spread | undefined;
  readonly retention: { readonly full: number; readonly fullBackups: number; readonly incrBackups: number };
  readonly upgrades: readonly UpgradeEvent[] | undefined;
  readonly upgradeLog: string;
}

const RECENT_DRILLS = 10;

/** Computes the report from its inputs at time `now`. Pure. */
export const buildReportModel = (inputs: ReportInputs, now: Date): ReportModel => {
  const timeOf = new Map(inputs.segments.map((segment) => [segment.name, segment.storedAt]));
  const backups = [...inputs.backups]
    .sort((a, b) => Date.parse(a.stoppedAt) - Date.parse(b.stoppedAt))
    .map((backup): BackupRow => {
      const startedAt = new Date(backup.startedAt);
      const stoppedAt = new Date(backup.stoppedAt);
      return {
        id: backup.id,
        type: backup.type,
        startedAt,
        stoppedAt,
        durationMs: stoppedAt.getTime() - startedAt.getTime(),
        databaseBytes: backup.sizes.database,
        storedBytes: backup.sizes.stored,
        recoverable: recoverableRange(backup, inputs.segments, timeOf),
      };
    });
  const coverage = mergeIntervals(backups.flatMap((backup) => (backup.recoverable ? [backup.recoverable] : [])));
  const drills = [...inputs.drills]
    .map(
      (report): DrillRow => ({
        id: report.id,
        backup: report.backup,
        finishedAt: new Date(report.finishedAt),
        ok: report.ok,
        rtoMs: report.rto?.totalMs,
        rpoSeconds: report.rpo?.seconds,
        failed: (report.checks ?? []).filter((check) => check.status === "fail").map((check) => check.name),
      }),
    )
    .sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime());
  const recent = drills.slice(-RECENT_DRILLS);
  const first = coverage[0];
  const last = coverage[coverage.length - 1];
  return {
    generatedAt: now,
    repository: inputs.repository,
    window: first && last ? { from: first.from, to: last.to } : undefined,
    coverage,
    gaps: findGaps(inputs.backups, inputs.segments, timeOf),
    newestSegment: inputs.segments[inputs.segments.length - 1],
    backups,
    unrestorable: inputs.unrestorable ?? [],
    drills,
    recentDrills: recent.length,
    rto: spreadOf(recent.flatMap((drill) => (drill.rtoMs === undefined ? [] : [drill.rtoMs]))),
    rpo: spreadOf(recent.flatMap((drill) => (drill.rpoSeconds === undefined ? [] : [drill.rpoSeconds]))),
    retention: {
      full: inputs.retention.full,
      fullBackups: backups.filter((backup) => backup.type === "full").length,
      incrBackups: backups.filter((backup) => backup.type === "incr").length,
    },
    upgrades: inputs.upgrades ? [...inputs.upgrades].sort((a, b) => a.at.getTime() - b.at.getTime()) : undefined,
    upgradeLog: inputs.upgradeLog,
  };
};

// From the backup's consistent point to the storage time of the last segment of its unbroken WAL chain; undefined
// when a segment the backup itself needs (walStart..walStop) is missing. Segments without a time count as the
// backup's own stop time (never claims coverage the listing cannot date).
const recoverableRange = (
  backup: BackupManifest,
  segments: readonly SegmentTime[],
  timeOf: ReadonlyMap<string, Date | undefined>,
): Interval | undefined => {
  const timeline = backup.walStart.slice(0, 8);
  const newest = segments.filter((segment) => segment.name.startsWith(timeline)).at(-1)?.name;
  const last = newest && newest > backup.walStop ? newest : backup.walStop;
  let end: string | undefined;
  for (const name of segmentRange(backup.walStart, last, backup.walSegmentSize)) {
    if (!timeOf.has(name)) break;
    end = name;
  }
  if (end === undefined || end < backup.walStop) return undefined;
  const from = new Date(backup.stoppedAt);
  const storedAt = timeOf.get(end);
  return { from, to: storedAt && storedAt > from ? storedAt : from };
};

// Runs of missing segments between archived ones, from the oldest backup's first segment on, per timeline.
const findGaps = (
  backups: readonly BackupManifest[],
  segments: readonly SegmentTime[],
  timeOf: ReadonlyMap<string, Date | undefined>,
): WalGap[] => {
  const oldest = [...backups].sort((a, b) => (a.walStart < b.walStart ? -1 : 1))[0];
  if (!oldest) return [];
  const size = oldest.walSegmentSize;
  const names = segments.map((segment) => segment.name).filter((name) => name >= oldest.walStart);
  const gaps: WalGap[] = [];
  for (let index = 1; index < names.length; index += 1) {
    const before = names[index - 1] ?? "";
    const after = names[index] ?? "";
    if (before.slice(0, 8) !== after.slice(0, 8)) continue;
    const expected = nextSegment(before, size);
    if (expected === after) continue;
    const missing = segmentRange(expected, after, size).length - 1;
    const from = timeOf.get(before);
    const to = timeOf.get(after);
    if (from && to) gaps.push({ from, to, firstMissing: expected, missing });
  }
  return gaps;
};

const mergeIntervals = (intervals: readonly Interval[]): Interval[] => {
  const sorted = [...intervals].sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.from <= last.to)
      merged[merged.length - 1] = { from: last.from, to: maxDate(last.to, interval.to) };
    else merged.push(interval);
  }
  return merged;
};

const maxDate = (a: Date, b: Date): Date => (a > b ? a : b);

const spreadOf = (values: readonly number[]): Spread | undefined => {
  const last = values[values.length - 1];
  if (last === undefined) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? last) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { last, median, max: sorted[sorted.length - 1] ?? last };
};
