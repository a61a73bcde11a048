import type { ListrTask } from "listr2";
import type { BackupManifest } from "../../src/backup/manifest.js";
import type { ZopsConfig } from "../../src/config/index.js";
import { captureBackupFingerprints } from "../../src/drill/capture.js";
import type { Storage } from "../../src/storage/storage.js";

/** Context slice of the fingerprint part of the nightly job. */
export interface FingerprintPartContext {
  database: { manifest?: BackupManifest };
  fingerprints?: { error?: unknown; tables?: number; lsn?: string };
}

/**
 * Nightly-job part: after a successful database backup, capture the data fingerprints a drill compares against. Skipped
 * (with the reason) when there is no new backup; its failure is recorded, not fatal to the other parts.
 */
export const fingerprintTask = <Ctx extends FingerprintPartContext>(
  config: ZopsConfig,
  storage: Storage,
): ListrTask<Ctx> => ({
  title: "Capture data fingerprints for restore drills",
  skip: (ctx) => (ctx.database.manifest ? false : "no new database backup in this run"),
  task: async (ctx, task) => {
    const manifest = ctx.database.manifest;
    if (!manifest) return;
    try {
      const fingerprints = await captureBackupFingerprints(config, storage, manifest.id);
      const tables = Object.values(fingerprints.databases).reduce((sum, tables) => sum + Object.keys(tables).length, 0);
      ctx.fingerprints = { tables, lsn: fingerprints.lsn };
      task.title = `Data fingerprints of ${tables} tables at ${fingerprints.lsn}`;
    } catch (error) {
      ctx.fingerprints = { error };
      throw error;
    }
  },
});
