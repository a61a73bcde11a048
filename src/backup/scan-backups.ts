import { isZopsError, messageOf } from "../errors/index.js";
import type { Storage } from "../storage/storage.js";
import { listBackupIds, readManifest, type BackupManifest } from "./manifest.js";

// Damage containment (docs/repository-format.md "Damaged backups"): one unreadable manifest makes
// that backup invalid; it never stops commands about the other backups.

/** A backup whose manifest exists but cannot be read or fails its checksum. */
export interface DamagedBackup {
  readonly id: string;
  /** Why the manifest is unusable (the VERIFY_FAILED message naming its key). */
  readonly reason: string;
}

/** Every completed backup, split into readable manifests and damaged ones, both oldest first. */
export interface BackupScan {
  readonly backups: BackupManifest[];
  readonly damaged: DamagedBackup[];
}

/**
 * Reads every backup's manifest (one listing of backups/); a damaged manifest (VERIFY_FAILED) is returned in `damaged`
 * instead of thrown, a manifest deleted since the listing is skipped. Storage failures and a newer manifest format
 * still throw: they are not damage. Read-only.
 */
export const scanBackups = async (storage: Storage): Promise<BackupScan> => {
  const backups: BackupManifest[] = [];
  const damaged: DamagedBackup[] = [];
  for (const id of await listBackupIds(storage)) {
    try {
      backups.push(await readManifest(storage, id));
    } catch (error) {
      if (isZopsError(error, "NOT_FOUND")) continue;
      if (!isZopsError(error, "VERIFY_FAILED")) throw error;
      damaged.push({ id, reason: messageOf(error) });
    }
  }
  return { backups, damaged };
};
