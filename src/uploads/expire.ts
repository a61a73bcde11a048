import type { Storage } from "../storage/storage.js";
import { listUploadSnapshots, type UploadSnapshotInfo } from "./catalog.js";
import { timeOfId } from "./snapshot-id.js";

/** Which snapshots to keep. The newest snapshot is always kept. */
export interface UploadsRetention {
  /** Keep these snapshot ids. */
  readonly keepIds?: readonly string[];
  /**
   * Keep snapshots taken at or after this time, plus the newest one before it (the uploads as they were then): pass the
   * start of the oldest database backup kept.
   */
  readonly keepSince?: Date;
  /** Keep at least the newest N snapshots. */
  readonly keepLast?: number;
}

/** Returns the ids to keep under `policy`, in id order (pure). */
export const selectUploadSnapshotsToKeep = (
  snapshots: readonly Pick<UploadSnapshotInfo, "id">[],
  policy: UploadsRetention,
): string[] => {
  const ids = snapshots.map((snapshot) => snapshot.id).sort();
  const keep = new Set<string>(ids.slice(-Math.max(1, policy.keepLast ?? 1)));
  for (const id of policy.keepIds ?? []) if (ids.includes(id)) keep.add(id);
  if (policy.keepSince) {
    const since = policy.keepSince.getTime();
    const before = ids.filter((id) => (timeOfId(id)?.getTime() ?? 0) < since);
    for (const id of ids) if ((timeOfId(id)?.getTime() ?? 0) >= since) keep.add(id);
    const last = before.at(-1);
    if (last) keep.add(last);
  }
  return ids.filter((id) => keep.has(id));
};

/**
 * Deletes the manifests of snapshots not kept by `policy` (idempotent; data objects are freed later by
 * collectUploadsGarbage). With dryRun nothing is deleted.
 */
export const expireUploads = async (
  storage: Storage,
  policy: UploadsRetention,
  options: { dryRun?: boolean } = {},
): Promise<{ kept: string[]; expired: string[] }> => {
  const snapshots = await listUploadSnapshots(storage);
  const kept = selectUploadSnapshotsToKeep(snapshots, policy);
  const expired = snapshots.filter((snapshot) => !kept.includes(snapshot.id));
  if (!options.dryRun && expired.length > 0) await storage.delete(expired.map((snapshot) => snapshot.key));
  return { kept, expired: expired.map((snapshot) => snapshot.id) };
};
