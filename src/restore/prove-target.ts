import type { BackupManifest } from "../backup/manifest.js";
import { ZopsError } from "../errors/index.js";
import { parseLsn } from "../pg/lsn.js";
import { consistencyPoint, type TargetPoint } from "./target-point.js";
import { formatMicros, parseMicros } from "./target-time.js";

/** What the restored server says about where its recovery stopped. */
export interface StopFacts {
  /** pg_last_wal_replay_lsn(): the end of the last replayed record (absent when the server shut down). */
  readonly replayLsn?: string;
  /** pg_last_xact_replay_timestamp(): the time of the last replayed commit or abort (absent when none was replayed). */
  readonly lastCommitTime?: string;
  /** PostgreSQL's own line: `recovery stopping before commit of transaction 1234, time ...`. */
  readonly stoppingLine?: string;
}

const STOP_BEFORE_XACT = /recovery stopping before (?:commit|abort) of transaction \d+, time (.+)$/;
const STOP_AT_NAME = /recovery stopping at restore point "(.*)", time (.+)$/;
const STOP_AFTER_LSN = /recovery stopping (?:after|before) WAL location \(LSN\) "([0-9A-F]+\/[0-9A-F]+)"/i;
const STOP_CONSISTENT = /recovery stopping after reaching consistency/;

const fail = (message: string, point: TargetPoint, facts: StopFacts): ZopsError =>
  new ZopsError("VERIFY_FAILED", message, {
    hint:
      "the restored cluster does not hold the data of the recovery target: do not use it; " +
      "read zops-restore.log in the restored directory and run `zops verify`",
    details: { target: point.text, ...facts },
  });

/**
 * Proves from where PostgreSQL stopped that the restored cluster holds exactly the data of the target: the backup was
 * consistent at or before it, replay got at least to the backup's consistency point, and then
 * - time: stopped before the first commit after the target (its time is later) and no replayed commit is later;
 * - LSN: stopped at the target LSN (the record there replayed, nothing after it);
 * - recorded restore point: stopped at that restore point, at its recorded LSN (not at an earlier one of the same
 *   name);
 * - immediate: stopped on reaching consistency.
 * Pure. @throws VERIFY_FAILED naming the target and where recovery stopped.
 */
export const proveTargetReached = (manifest: BackupManifest, point: TargetPoint, facts: StopFacts): void => {
  const consistent = consistencyPoint(manifest);
  const where = [
    facts.stoppingLine ? `PostgreSQL: "${facts.stoppingLine}"` : "no 'recovery stopping' line in the log",
    facts.replayLsn ? `replayed to ${facts.replayLsn}` : undefined,
    facts.lastCommitTime ? `last replayed commit at ${facts.lastCommitTime}` : undefined,
  ]
    .filter(Boolean)
    .join("; ");
  const stopped = (why: string) => fail(`recovery to ${point.text} ${why} (${where})`, point, facts);
  if (point.kind === "end") return;
  if (facts.replayLsn && parseLsn(facts.replayLsn) < consistent.lsn)
    throw stopped(`stopped before backup ${manifest.id} was consistent at ${consistent.text}`);
  const line = facts.stoppingLine ?? "";
  if (point.kind === "time" && point.time !== undefined) {
    if (consistent.time > point.time)
      throw stopped(`replayed from backup ${manifest.id}, which already holds data from after the target`);
    const next = STOP_BEFORE_XACT.exec(line)?.[1];
    const nextTime = next ? parseMicros(next) : undefined;
    if (nextTime === undefined) throw stopped("did not stop before a commit after the target");
    if (nextTime <= point.time) throw stopped(`stopped before a commit at ${next}, at or before the target`);
    const last = facts.lastCommitTime ? parseMicros(facts.lastCommitTime) : undefined;
    if (last !== undefined && last > point.time)
      throw stopped(`replayed past the target: a commit at ${formatMicros(last)} was replayed`);
    return;
  }
  if (point.kind === "lsn" && point.lsn !== undefined) {
    if (consistent.lsn > point.lsn) throw stopped(`replayed from backup ${manifest.id}, consistent after the target`);
    const at = STOP_AFTER_LSN.exec(line)?.[1];
    if (!at || parseLsn(at) !== point.lsn) throw stopped("did not stop at the target LSN");
    if (facts.replayLsn && parseLsn(facts.replayLsn) < point.lsn) throw stopped("stopped short of the target LSN");
    return;
  }
  if (point.kind === "name") {
    const name = STOP_AT_NAME.exec(line)?.[1];
    const wanted = point.mark?.name ?? /'(.*)'/.exec(point.text)?.[1];
    if (name === undefined || name !== wanted) throw stopped("did not stop at the restore point");
    if (point.lsn !== undefined && facts.replayLsn && parseLsn(facts.replayLsn) !== point.lsn)
      throw stopped(
        parseLsn(facts.replayLsn) < point.lsn
          ? `stopped at an earlier restore point of the same name, not the one recorded at ${point.mark?.lsn}`
          : `replayed past the recorded restore point at ${point.mark?.lsn}`,
      );
    return;
  }
  if (point.kind === "immediate" && !STOP_CONSISTENT.test(line)) throw stopped("did not stop on reaching consistency");
};
