import type { ZopsConfig } from "../config/index.js";
import { messageOf } from "../errors/index.js";
import { findRestorable } from "../backup/restorable.js";
import { openStorage } from "../storage/open.js";

/** Where the upgrade learns when the last complete backup finished (pluggable: tests pass a fake). */
export interface BackupCatalog {
  /** Finish time of the newest complete backup, or undefined when there is none. */
  latestBackup(): Promise<{ readonly id: string; readonly finishedAt: Date } | undefined>;
}

/** Result of the backup gate. */
export interface BackupFreshness {
  readonly status: "ok" | "warn" | "blocked" | "skipped";
  readonly message: string;
}

/**
 * Applies deploy.backup (off|warn|require, maxAgeHours) to the catalog's newest backup; never throws (an unreadable
 * catalog is a warning or a block).
 */
export const checkBackupFreshness = async (
  catalog: BackupCatalog,
  policy: ZopsConfig["deploy"]["backup"],
  now = new Date(),
): Promise<BackupFreshness> => {
  if (policy.policy === "off") return { status: "skipped", message: "deploy.backup.policy is off" };
  const bad = policy.policy === "require" ? "blocked" : "warn";
  try {
    const latest = await catalog.latestBackup();
    if (!latest) return { status: bad, message: "no complete backup found in the repository" };
    const ageHours = (now.getTime() - latest.finishedAt.getTime()) / 3_600_000;
    if (ageHours > policy.maxAgeHours)
      return {
        status: bad,
        message:
          `newest backup ${latest.id} is ${ageHours.toFixed(1)} h old ` +
          `(deploy.backup.maxAgeHours is ${policy.maxAgeHours})`,
      };
    return { status: "ok", message: `newest backup ${latest.id} is ${ageHours.toFixed(1)} h old` };
  } catch (error) {
    return { status: bad, message: `unable to read the backup catalog: ${messageOf(error)}` };
  }
};

/**
 * The repository as a catalog of restorable backups only (`findRestorable`: manifest readable, every object present
 * with its size; a damaged backup neither counts as fresh nor blocks the check); the finish time is the manifest's
 * `stoppedAt`, not an object's write time.
 */
export const repositoryBackupCatalog = (config: Pick<ZopsConfig, "repository" | "storage">): BackupCatalog => ({
  latestBackup: async () => {
    const storage = await openStorage(config);
    try {
      let latest: { id: string; finishedAt: Date } | undefined;
      for (const manifest of (await findRestorable(storage)).restorable) {
        const finishedAt = new Date(manifest.stoppedAt);
        if (!Number.isNaN(finishedAt.getTime()) && (!latest || finishedAt > latest.finishedAt))
          latest = { id: manifest.id, finishedAt };
      }
      return latest;
    } finally {
      await storage.close?.();
    }
  },
});
