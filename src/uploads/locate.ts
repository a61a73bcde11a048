import { ZopsError } from "../errors/index.js";
import type { SnapshotEntry, SnapshotManifest } from "./format.js";
import type { LocatedFile } from "./read-blob.js";

/**
 * Resolves each file entry to its object key and groups them by object (pure); throws VERIFY_FAILED for an entry
 * without a valid location.
 */
export const groupByObject = (
  manifest: SnapshotManifest,
  entries: readonly SnapshotEntry[],
): Map<string, LocatedFile[]> => {
  const groups = new Map<string, LocatedFile[]>();
  for (const entry of entries) {
    if (entry.type !== "file") continue;
    const object = entry.object === undefined ? undefined : manifest.objects[entry.object];
    if (!object || entry.sha256 === undefined || entry.offset === undefined || entry.length === undefined) {
      throw new ZopsError(
        "VERIFY_FAILED",
        `uploads snapshot ${manifest.id}: entry '/${entry.path}' has no valid content location`,
      );
    }
    const files = groups.get(object.key) ?? [];
    files.push({
      key: object.key,
      entry: { ...entry, sha256: entry.sha256, offset: entry.offset, length: entry.length },
    });
    groups.set(object.key, files);
  }
  return groups;
};
