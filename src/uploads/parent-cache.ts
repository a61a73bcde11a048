import type { ObjectInfo } from "../storage/storage.js";
import type { BlobLocation, SnapshotEntry, SnapshotManifest } from "./format.js";
import type { ScannedEntry } from "./scan.js";

/** Files changed less than this before the parent snapshot started are read again (coarse file-system timestamps). */
const RACY_MS = 2000;

/** What the previous snapshot knows about a file that has not changed since. */
export interface CachedFile {
  readonly content: { sha256: string; size: number };
  readonly location: BlobLocation;
}

/**
 * Builds the unchanged-file lookup from the previous snapshot: a file whose size, mtime, ctime and inode match, that
 * was not modified near the parent's start, and whose object still exists with its recorded size, is not read again
 * (pure).
 */
export const parentCache = (
  parent: SnapshotManifest | undefined,
  present: ReadonlyMap<string, ObjectInfo>,
): { lookup(entry: ScannedEntry): CachedFile | undefined } => {
  const byPath = new Map<string, SnapshotEntry>();
  const racyAfter = parent ? Date.parse(parent.startedAt) - RACY_MS : 0;
  for (const entry of parent?.entries ?? []) if (entry.type === "file") byPath.set(entry.path, entry);
  return {
    lookup: (scanned) => {
      const old = byPath.get(scanned.path);
      if (
        !parent ||
        !old ||
        old.sha256 === undefined ||
        old.object === undefined ||
        old.offset === undefined ||
        old.length === undefined ||
        old.size === undefined
      )
        return undefined;
      const { stats } = scanned;
      if (
        old.size !== stats.size ||
        old.mtime !== stats.mtimeMs ||
        old.ctime !== stats.ctimeMs ||
        old.ino !== stats.ino ||
        stats.mtimeMs >= racyAfter
      )
        return undefined;
      const object = parent.objects[old.object];
      if (!object || present.get(object.key)?.size !== object.size) return undefined;
      return {
        content: { sha256: old.sha256, size: old.size },
        location: { key: object.key, objectSize: object.size, offset: old.offset, length: old.length, size: old.size },
      };
    },
  };
};
