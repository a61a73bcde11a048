import type { ZopsConfig } from "../config/index.js";
import { withPostgres } from "../pg/connect.js";
import { forceWalSwitch } from "../pg/switch-wal.js";
import { fingerprintsKey } from "../repo/layout.js";
import { putJson } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { captureFingerprints, type Fingerprints } from "./fingerprint.js";

/**
 * Captures the cluster's data fingerprints right after backup `backupId`, stores them beside the drill reports, then
 * forces a WAL switch (even on an idle cluster) so the fingerprint point is archived promptly. Read-only on the data;
 * idempotent per backup.
 * @throws POSTGRES naming what was being done; the storage codes when the fingerprints cannot be stored.
 */
export const captureBackupFingerprints = async (
  config: ZopsConfig,
  storage: Storage,
  backupId: string,
): Promise<Fingerprints> => {
  const fingerprints = await captureFingerprints(config.postgres, {
    maxTableBytes: config.drill.fingerprintMaxTableMB * 1024 * 1024,
  });
  await putJson(storage, fingerprintsKey(backupId), fingerprints);
  await withPostgres(config.postgres, forceWalSwitch);
  return fingerprints;
};
