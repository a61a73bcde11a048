import { sha256Of } from "../crypto/hash.js";
import { ZopsError, isZopsError } from "../errors/index.js";
import { MARK_NAME, MARKS_PREFIX, markKey, markNameOfKey } from "../repo/layout.js";
import { getBuffer, putJson } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { parseLsn } from "../pg/lsn.js";

// Restore points recorded by `zops mark` (docs/repository-format.md, "Restore points"): where PostgreSQL wrote the
// restore point (LSN, server time, timeline) and for which cluster, so `--target-name` can pick the backup to replay
// from, and the proof after replay can check that recovery stopped at this very restore point.

export const MARK_FORMAT = "zops-mark" as const;

/** One recorded restore point (`marks/<name>.json`). */
export interface RestorePointMark {
  readonly format: typeof MARK_FORMAT;
  readonly version: 1;
  readonly name: string;
  /** pg_create_restore_point's LSN: the end of the restore point record. */
  readonly lsn: string;
  /** Server clock right after the record was written (ISO 8601, UTC, microseconds). */
  readonly time: string;
  readonly timeline: number;
  readonly systemIdentifier: string;
  readonly pgVersion: number;
  /** SHA-256 of the other fields (JSON, in this order), to notice a damaged record. */
  readonly sha256: string;
}

/** Throws USAGE unless `name` is a restore point name `zops mark` records. Pure. */
export const checkMarkName = (name: string): void => {
  if (!MARK_NAME.test(name))
    throw new ZopsError("USAGE", `'${name}' is not a restore point name zops can record`, {
      hint: "use 1-63 characters: letters, digits, '.', '_' and '-', starting with a letter or digit",
    });
};

const bodyOf = (mark: Omit<RestorePointMark, "sha256">): string =>
  JSON.stringify([
    mark.format,
    mark.version,
    mark.name,
    mark.lsn,
    mark.time,
    mark.timeline,
    mark.systemIdentifier,
    mark.pgVersion,
  ]);

/** Builds a record with its checksum. Pure. */
export const makeMark = (fields: Omit<RestorePointMark, "format" | "version" | "sha256">): RestorePointMark => {
  const mark = { format: MARK_FORMAT, version: 1 as const, ...fields };
  return { ...mark, sha256: sha256Of(bodyOf(mark)) };
};

const decodeMark = (data: Buffer, key: string): RestorePointMark => {
  let mark: RestorePointMark;
  try {
    mark = JSON.parse(data.toString("utf8")) as RestorePointMark;
  } catch (error) {
    throw new ZopsError("VERIFY_FAILED", `unable to read restore point '${key}': not valid JSON`, { cause: error });
  }
  if (mark?.format !== MARK_FORMAT || mark.sha256 !== sha256Of(bodyOf(mark)))
    throw new ZopsError("VERIFY_FAILED", `unable to read restore point '${key}': checksum mismatch`, {
      hint: "the record is damaged; restore with --target-lsn and the LSN `zops mark` printed",
    });
  return mark;
};

/** The recorded restore point `name`, or undefined when none is recorded; throws VERIFY_FAILED on a damaged record. */
export const readMark = async (storage: Storage, name: string): Promise<RestorePointMark | undefined> => {
  if (!MARK_NAME.test(name)) return undefined;
  try {
    return decodeMark(await getBuffer(storage, markKey(name)), markKey(name));
  } catch (error) {
    if (isZopsError(error, "STORAGE_NOT_FOUND")) return undefined;
    throw error;
  }
};

/**
 * Every recorded restore point, in WAL order (LSN); one listing plus one read each. A damaged record is skipped and
 * handed to `onDamaged` (name and the VERIFY_FAILED error), so one bad record never stops restores that do not use
 * it. Read-only.
 */
export const listMarks = async (
  storage: Storage,
  onDamaged?: (name: string, error: unknown) => void,
): Promise<RestorePointMark[]> => {
  const marks: RestorePointMark[] = [];
  for await (const info of storage.list(MARKS_PREFIX)) {
    const name = markNameOfKey(info.key);
    if (!name) continue;
    try {
      marks.push(decodeMark(await getBuffer(storage, info.key), info.key));
    } catch (error) {
      if (isZopsError(error, "STORAGE_NOT_FOUND")) continue;
      if (!isZopsError(error, "VERIFY_FAILED")) throw error;
      onDamaged?.(name, error);
    }
  }
  return marks.sort((a, b) => {
    const diff = parseLsn(a.lsn) - parseLsn(b.lsn);
    return diff < 0n ? -1 : diff > 0n ? 1 : 0;
  });
};

/** Stores the record (atomic put). The caller checked first that the name is not recorded yet. */
export const writeMark = async (storage: Storage, mark: RestorePointMark): Promise<void> => {
  await putJson(storage, markKey(mark.name), mark);
};
