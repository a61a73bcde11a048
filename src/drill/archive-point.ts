import type { BackupManifest } from "../backup/manifest.js";
import { messageOf } from "../errors/index.js";
import { newestArchivedSegment } from "../wal/catalog.js";
import type { Storage } from "../storage/storage.js";
import { parseLsn } from "../pg/lsn.js";
import { segmentStartLsn } from "../pg/wal-segment.js";

/** How long the drill waits for the fingerprint point to be archived: `attempts` looks, `delayMs` apart. */
export interface ArchiveWait {
  readonly attempts: number;
  readonly delayMs: number;
}

/** Default wait: 30 looks 2 s apart (about a minute after the forced switch). */
export const DEFAULT_ARCHIVE_WAIT: ArchiveWait = { attempts: 30, delayMs: 2000 };

/** Whether WAL through `lsn` is archived, and what it took. */
export interface ArchivePointResult {
  readonly archived: boolean;
  /** Newest archived segment of the backup's timeline at the last look. */
  readonly newest: string | undefined;
  /** Looks at the archive made (1 when it was archived already). */
  readonly looks: number;
  /** True when a WAL switch was forced on the source; the error when forcing it failed. */
  readonly switched: boolean;
  readonly switchError?: string;
}

// End (exclusive) of the archived WAL: the end of the newest archived segment, or 0.
const archivedEnd = (newest: string | undefined, manifest: BackupManifest): bigint =>
  newest ? segmentStartLsn(newest, manifest.walSegmentSize) + BigInt(manifest.walSegmentSize) : 0n;

/**
 * Makes sure the WAL holding `lsn` is archived: looks once; if not, forces a WAL switch on the source (`switchWal`,
 * failures recorded, not thrown) and looks again up to `wait.attempts` times, `sleep(wait.delayMs)` apart. Bounded;
 * read-only on the repository.
 */
export const ensureArchivedThrough = async (
  storage: Storage,
  manifest: BackupManifest,
  lsn: string,
  options: { switchWal: () => Promise<unknown>; wait: ArchiveWait; sleep: (ms: number) => Promise<void> },
): Promise<ArchivePointResult> => {
  const target = parseLsn(lsn);
  let { newest } = await newestArchivedSegment(storage, manifest.walStart);
  if (target < archivedEnd(newest, manifest)) return { archived: true, newest, looks: 1, switched: false };
  let switchError: string | undefined;
  await options.switchWal().catch((error: unknown) => {
    switchError = messageOf(error);
  });
  let looks = 1;
  while (looks <= options.wait.attempts) {
    if (looks > 1) await options.sleep(options.wait.delayMs);
    ({ newest } = await newestArchivedSegment(storage, manifest.walStart));
    looks += 1;
    if (target < archivedEnd(newest, manifest))
      return { archived: true, newest, looks, switched: switchError === undefined, switchError };
  }
  return { archived: false, newest, looks, switched: switchError === undefined, switchError };
};
