import type { BackupManifest } from "../backup/manifest.js";
import { parseLsn } from "../pg/lsn.js";
import type { RestorePointMark } from "./marks.js";
import type { RecoveryTarget } from "./recovery-settings.js";
import { formatMicros, parseMicros, parseTargetTime } from "./target-time.js";

/** A recovery target with what is known of its place in the WAL: the LSN and/or the server time it stands for. */
export interface TargetPoint {
  readonly kind: "time" | "lsn" | "name" | "immediate" | "end";
  /** `--target-lsn`, or the recorded LSN of the restore point. */
  readonly lsn?: bigint;
  /** `--target-time` in microseconds, or the recorded time of the restore point. */
  readonly time?: bigint;
  /** The recorded restore point, for `--target-name` (undefined when the name is not recorded). */
  readonly mark?: RestorePointMark;
  /** For people: `time 2026-11-23T10:00:00.000000Z`, `LSN 0/5000028`, `restore point 'x' (LSN ...)`. */
  readonly text: string;
}

/**
 * Resolves a recovery target against the recorded restore points; throws USAGE for a malformed time or LSN. Pure.
 */
export const resolveTargetPoint = (target: RecoveryTarget, marks: readonly RestorePointMark[]): TargetPoint => {
  if (target.time !== undefined) {
    const time = parseTargetTime(target.time);
    return { kind: "time", time, text: `time ${formatMicros(time)}` };
  }
  if (target.lsn !== undefined) return { kind: "lsn", lsn: parseLsn(target.lsn), text: `LSN ${target.lsn}` };
  if (target.name !== undefined) {
    const mark = marks.find((candidate) => candidate.name === target.name);
    return mark
      ? {
          kind: "name",
          mark,
          lsn: parseLsn(mark.lsn),
          time: parseMicros(mark.time),
          text: `restore point '${mark.name}' (LSN ${mark.lsn}, ${mark.time})`,
        }
      : { kind: "name", text: `restore point '${target.name}' (not recorded by zops mark)` };
  }
  if (target.immediate) return { kind: "immediate", text: "the backup's consistency point" };
  return { kind: "end", text: "the end of the archived WAL" };
};

/** Where a backup becomes consistent: its stop LSN and the server time at pg_backup_stop. */
export interface ConsistencyPoint {
  readonly lsn: bigint;
  readonly time: bigint;
  readonly text: string;
}

/**
 * The backup's consistency point. Backups taken before zops recorded the server's stop time use the time zops wrote
 * after pg_backup_stop returned (later than the server's, so never too early). Pure.
 */
export const consistencyPoint = (manifest: BackupManifest): ConsistencyPoint => {
  const stamp = manifest.stopTime ?? manifest.stoppedAt;
  const time = parseMicros(stamp) ?? BigInt(Date.parse(manifest.stoppedAt)) * 1000n;
  return { lsn: parseLsn(manifest.stopLsn), time, text: `LSN ${manifest.stopLsn} at ${formatMicros(time)}` };
};

/**
 * True when replay from `manifest` can stop at `point`: the backup is consistent at or before it (by time for a time
 * target, by LSN for an LSN or a recorded restore point). Immediate, end-of-WAL and unrecorded names constrain nothing.
 * Pure.
 */
export const consistentBy = (manifest: BackupManifest, point: TargetPoint): boolean => {
  const consistent = consistencyPoint(manifest);
  if (point.kind === "time" && point.time !== undefined) return consistent.time <= point.time;
  if (point.lsn !== undefined) return consistent.lsn <= point.lsn;
  return true;
};

/**
 * The server time a target stands for, to pick the uploads snapshot and secrets archive taken at or before it: the
 * target time, the restore point's time, for an LSN the newest known time at or before it (the chosen backup's
 * consistency point or a restore point), for immediate the backup's consistency time; undefined for end-of-WAL. Pure.
 */
export const referenceTime = (
  point: TargetPoint,
  backup: BackupManifest,
  marks: readonly RestorePointMark[],
): bigint | undefined => {
  if (point.kind === "end") return undefined;
  if (point.time !== undefined) return point.time;
  const consistent = consistencyPoint(backup);
  if (point.kind !== "lsn" || point.lsn === undefined) return consistent.time;
  let best = consistent;
  for (const mark of marks) {
    const time = parseMicros(mark.time);
    if (time !== undefined && parseLsn(mark.lsn) <= point.lsn && parseLsn(mark.lsn) > best.lsn)
      best = { lsn: parseLsn(mark.lsn), time, text: "" };
  }
  return best.time;
};
