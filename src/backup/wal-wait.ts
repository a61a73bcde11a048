import { ZopsError } from "../errors/index.js";
import type { Storage } from "../storage/storage.js";
import { findWalObject } from "../wal/catalog.js";
import { segmentRange } from "../pg/wal-segment.js";

/**
 * Waits until every WAL segment from `first` to `last` (inclusive) is in the repository; polls each missing one. Throws
 * VERIFY_FAILED naming the missing segments after `timeoutMs`. Idempotent, read-only.
 */
export const waitForWal = async (
  storage: Storage,
  first: string,
  last: string,
  options: {
    segmentSize: number;
    timeoutMs: number;
    onWait?: (missing: readonly string[]) => void;
    signal?: AbortSignal;
  },
): Promise<string[]> => {
  let missing = segmentRange(first, last, options.segmentSize);
  const all = [...missing];
  const deadline = Date.now() + options.timeoutMs;
  // Short, flat polling: pg_backup_stop has just switched segments, so the last one usually arrives within a second.
  let delay = 50;
  for (;;) {
    const still: string[] = [];
    for (const name of missing) if (!(await findWalObject(storage, name, { signal: options.signal }))) still.push(name);
    missing = still;
    if (missing.length === 0) return all;
    if (Date.now() >= deadline) {
      throw new ZopsError(
        "VERIFY_FAILED",
        `WAL needed by the backup is not in the repository after ` +
          `${Math.round(options.timeoutMs / 1000)} s: ` +
          `${missing.join(", ")}`,
        {
          hint:
            "check that archive_mode is on and archive_command runs `zops " +
            "wal-push %p` (see pg_stat_archiver and the PostgreSQL log); " +
            "raise backup.archiveTimeoutSeconds if archiving is just slow",
          details: { missing },
        },
      );
    }
    options.onWait?.(missing);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 250);
  }
};
