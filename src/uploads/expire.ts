import type { Storage } from "../storage/storage.js";
import { selectTimeIdsToKeep, type TimeIdRetention } from "../repo/time-id.js";
import { listUploadSnapshots } from "./catalog.js";

/**
 * Deletes the manifests of snapshots not kept by `policy` (idempotent; data objects are freed later by
 * collectUploadsGarbage). With dryRun nothing is deleted.
 */
export const expireUploads = async (
  storage: Storage,
  policy: TimeIdRetention,
  options: { dryRun?: boolean } = {},
): Promise<{ kept: string[]; expired: string[] }> => {
  const snapshots = await listUploadSnapshots(storage);
  const kept = selectTimeIdsToKeep(snapshots, policy);
  const expired = snapshots.filter((snapshot) => !kept.includes(snapshot.id));
  if (!options.dryRun && expired.length > 0) await storage.delete(expired.map((snapshot) => snapshot.key));
  return { kept, expired: expired.map((snapshot) => snapshot.id) };
};
