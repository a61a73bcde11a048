import type { BackupManifest } from "../backup/manifest.js";
import { freeBytes } from "../fsio/free-bytes.js";
import { settleBounded } from "../flow/bounded.js";
import type { Storage } from "../storage/storage.js";
import { listWal, segmentsOf } from "../wal/catalog.js";
import { segmentForLsn, segmentRange } from "../pg/wal-segment.js";
import type { RestoreChoice } from "./choose-restore.js";
import { consistencyPoint } from "./target-point.js";

/** What `zops restore --plan` found: the choice, what a restore would download and need, and what is missing. */
export interface RestorePlan {
  readonly backup: {
    readonly id: string;
    readonly type: string;
    readonly chain: string;
    readonly pgVersion: number;
    readonly consistentAt: string;
  };
  readonly target: string;
  readonly wal: {
    readonly from: string;
    readonly through: string;
    /** `exact` when the last segment follows from the target's LSN; `at most` for time and end-of-WAL targets. */
    readonly bound: "exact" | "at most";
    readonly segments: number;
    readonly bytes: number;
  };
  readonly objects: { readonly count: number; readonly bytes: number };
  /** Bytes downloaded: the backup's objects and the WAL range. */
  readonly downloadBytes: number;
  /** Disk the restored directory needs: the database, plus WAL segments being replayed and prefetched. */
  readonly diskNeeded: number;
  readonly diskFree?: number;
  readonly uploadsSnapshot?: string;
  readonly secretsArchive?: string;
  /** Why a restore would fail: missing or short objects, missing WAL segments, too little disk. Empty: it can run. */
  readonly problems: readonly string[];
}

/**
 * Plans the database restore of `choice` into `to` without writing anything: stats every object of the backup, lists
 * the archived WAL and finds the range replay needs (from the backup's first segment to the target's, or to the newest
 * archived one), adds up the bytes to download and the disk needed, and reads the free space at `to`. Read-only.
 */
export const planRestore = async (
  storage: Storage,
  choice: RestoreChoice & { manifest: BackupManifest },
  options: { to?: string; prefetch: number; concurrency?: number },
): Promise<RestorePlan> => {
  const manifest = choice.manifest;
  const problems: string[] = [];
  const stats = await settleBounded(manifest.objects, options.concurrency ?? 16, (object) => storage.stat(object.key));
  manifest.objects.forEach((object, index) => {
    const stat = stats[index];
    if (stat?.status === "rejected")
      problems.push(`object '${object.key}' could not be checked: ${(stat.reason as Error).message}`);
    else if (!stat?.value) problems.push(`object '${object.key}' is missing`);
    else if (stat.value.size !== object.size)
      problems.push(`object '${object.key}' has ${stat.value.size} bytes, the manifest says ${object.size}`);
  });
  const segments = segmentsOf(await listWal(storage)).filter(
    (object) => object.name.slice(0, 8) === manifest.walStart.slice(0, 8),
  );
  const present = new Map(segments.map((object) => [object.name, object]));
  const point = choice.point;
  const exact = point.kind === "immediate" || point.lsn !== undefined;
  const through =
    point.kind === "immediate"
      ? manifest.walStop
      : point.lsn !== undefined
        ? segmentForLsn(point.lsn, manifest.timeline, manifest.walSegmentSize)
        : ([manifest.walStop, ...segments.map((object) => object.name)].sort().at(-1) ?? manifest.walStop);
  const range = segmentRange(manifest.walStart, through, manifest.walSegmentSize);
  const missing = range.filter((name) => !present.has(name));
  if (missing.length > 0)
    problems.push(
      `WAL segment ${missing[0]} is missing from the archive` +
        (missing.length > 1 ? ` (and ${missing.length - 1} more of ${range.length})` : ""),
    );
  const walBytes = range.reduce((sum, name) => sum + (present.get(name)?.size ?? 0), 0);
  const objectBytes = manifest.objects.reduce((sum, object) => sum + object.size, 0);
  const diskNeeded = manifest.sizes.database + (options.prefetch + 2) * manifest.walSegmentSize;
  const diskFree = options.to ? await freeBytes(options.to).catch(() => undefined) : undefined;
  if (diskFree !== undefined && diskFree < diskNeeded)
    problems.push(`'${options.to}' has ${diskFree} bytes free; the restore needs ${diskNeeded}`);
  return {
    backup: {
      id: manifest.id,
      type: manifest.type,
      chain: manifest.full,
      pgVersion: manifest.pgVersion,
      consistentAt: consistencyPoint(manifest).text,
    },
    target: point.text,
    wal: {
      from: manifest.walStart,
      through,
      bound: exact ? "exact" : "at most",
      segments: range.length,
      bytes: walBytes,
    },
    objects: { count: manifest.objects.length, bytes: objectBytes },
    downloadBytes: objectBytes + walBytes,
    diskNeeded,
    diskFree,
    uploadsSnapshot: choice.uploadsSnapshot,
    secretsArchive: choice.secretsArchive,
    problems,
  };
};
