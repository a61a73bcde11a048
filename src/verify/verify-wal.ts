import type { BackupManifest } from "../backup/manifest.js";
import { decompressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { forEachBounded } from "../flow/bounded.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { listWal, segmentsOf, type WalObject } from "../wal/catalog.js";
import { segmentRange } from "../pg/wal-segment.js";

export interface WalChainReport {
  /** Per backup: the segments from its start to the newest archived segment of its timeline that are missing. */
  readonly gaps: { backup: string; from: string; to: string; missing: string[] }[];
  /** WAL objects whose content does not match their SHA-256. */
  readonly corrupt: string[];
  readonly checked: number;
  readonly newest?: string;
}

/**
 * Per backup, the segment names missing from its start segment through the newest archived segment of its timeline
 * (pure; `segments` from listWal).
 */
export const findWalGaps = (
  segments: readonly WalObject[],
  backups: readonly BackupManifest[],
): { gaps: WalChainReport["gaps"]; newest: string | undefined } => {
  const names = new Set(segments.map((object) => object.name));
  const gaps: WalChainReport["gaps"] = [];
  let newestOverall: string | undefined;
  for (const backup of backups) {
    const timeline = backup.walStart.slice(0, 8);
    const onTimeline = segments.filter((object) => object.name.startsWith(timeline));
    const newest = onTimeline[onTimeline.length - 1]?.name;
    if (!newestOverall || (newest && newest > newestOverall)) newestOverall = newest;
    const last = newest && newest > backup.walStop ? newest : backup.walStop;
    const missing = segmentRange(backup.walStart, last, backup.walSegmentSize).filter((name) => !names.has(name));
    if (missing.length > 0) gaps.push({ backup: backup.id, from: backup.walStart, to: last, missing });
  }
  return { gaps, newest: newestOverall };
};

/**
 * Checks the WAL chain of each backup (start segment through the newest archived segment on its timeline: every name
 * present) and re-reads every WAL object from the oldest backup's start on, checking its SHA-256. Read-only.
 */
export const verifyWalChain = async (
  storage: Storage,
  backups: readonly BackupManifest[],
  onProgress?: (checked: number, total: number) => void,
): Promise<WalChainReport> => {
  const all = await listWal(storage);
  const { gaps, newest: newestOverall } = findWalGaps(segmentsOf(all), backups);
  const oldest = backups.map((backup) => backup.walStart).sort()[0];
  const toCheck: WalObject[] = oldest
    ? all.filter((object) => object.kind === "history" || object.name.slice(0, 24) >= oldest)
    : all;
  const corrupt: string[] = [];
  let checked = 0;
  await forEachBounded(toCheck, 4, async (object) => {
    try {
      const content = decompressBuffer(await getBuffer(storage, object.key));
      if (sha256Of(content) !== object.sha256)
        corrupt.push(`WAL file ${object.name} ('${object.key}'): checksum mismatch`);
    } catch (error) {
      corrupt.push(`WAL file ${object.name} ('${object.key}') could not be read: ${(error as Error).message}`);
    }
    checked += 1;
    onProgress?.(checked, toCheck.length);
  });
  return { gaps, corrupt: corrupt.sort(), checked, newest: newestOverall };
};
