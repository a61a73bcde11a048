import { ZopsError } from "../errors/index.js";
import { parseUploadsSnapshotKey, UPLOADS_SNAPSHOTS_PREFIX } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { getDocument } from "./documents.js";
import { snapshotSchema, type SnapshotManifest } from "./format.js";
import { checkEntryPaths } from "./entry-path.js";
import { makeTimeId } from "../repo/time-id.js";

/** A complete snapshot as listed: its manifest exists. */
export interface UploadSnapshotInfo {
  readonly id: string;
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  /** When the manifest was written (from storage). */
  readonly modified?: Date;
}

/** Lists complete uploads snapshots (those with a manifest), oldest first; interrupted runs are never listed. */
export const listUploadSnapshots = async (storage: Storage): Promise<UploadSnapshotInfo[]> => {
  const snapshots: UploadSnapshotInfo[] = [];
  for await (const info of storage.list(UPLOADS_SNAPSHOTS_PREFIX)) {
    const parsed = parseUploadsSnapshotKey(info.key);
    if (parsed) snapshots.push({ ...parsed, key: info.key, size: info.size, modified: info.modified });
  }
  return snapshots.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/** Finds snapshot `id` (or the newest for "latest"); throws NOT_FOUND naming what was asked for. */
export const findUploadSnapshot = async (storage: Storage, id: string): Promise<UploadSnapshotInfo> => {
  const snapshots = await listUploadSnapshots(storage);
  const found = id === "latest" ? snapshots.at(-1) : snapshots.find((snapshot) => snapshot.id === id);
  if (!found) {
    throw new ZopsError(
      "NOT_FOUND",
      id === "latest"
        ? `no uploads snapshot in repository '${storage.location}'`
        : `uploads snapshot '${id}' not found in repository '${storage.location}'`,
      {
        hint:
          snapshots.length > 0
            ? `existing snapshots: ${snapshots
                .slice(-5)
                .map((s) => s.id)
                .join(", ")}`
            : "run `zops backup` with uploads.paths configured",
      },
    );
  }
  return found;
};

/** Reads and checks a snapshot manifest (checksum, shape, safe paths); throws VERIFY_FAILED or NOT_FOUND. */
export const readUploadSnapshot = async (storage: Storage, id: string): Promise<SnapshotManifest> => {
  const info = await findUploadSnapshot(storage, id);
  const manifest = await getDocument(storage, info.key, info.sha256, snapshotSchema);
  checkEntryPaths(manifest, info.key);
  return manifest;
};

/**
 * The snapshot that goes with a database backup started at `backupStartedAt`: the first one taken at or after it (the
 * nightly job snapshots uploads right after the database), else the newest before it; undefined when there is none
 * (pure).
 */
export const pickUploadSnapshotForBackup = <T extends Pick<UploadSnapshotInfo, "id">>(
  snapshots: readonly T[],
  backupStartedAt: Date,
): T | undefined => {
  const at = makeTimeId(backupStartedAt);
  const sorted = [...snapshots].sort((a, b) => (a.id < b.id ? -1 : 1));
  return sorted.find((snapshot) => snapshot.id >= at) ?? sorted.at(-1);
};
