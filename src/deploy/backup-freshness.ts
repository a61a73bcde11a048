import type { ZopsConfig } from "../config/index.js";
import { messageOf } from "../errors/index.js";
import { BACKUPS_PREFIX } from "../repo/layout.js";
import { openStorage } from "../storage/open.js";
import { listAll } from "../storage/read.js";

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
 * The repository as a catalog: a backup is complete once `backups/<id>/manifest.json` exists (written last), and its
 * write time is the finish time.
 */
export const repositoryBackupCatalog = (config: Pick<ZopsConfig, "repository" | "storage">): BackupCatalog => ({
  latestBackup: async () => {
    const storage = await openStorage(config);
    try {
      const manifests = (await listAll(storage, BACKUPS_PREFIX)).filter((key) =>
        /^backups\/[^/]+\/manifest\.json$/.test(key),
      );
      let latest: { id: string; finishedAt: Date } | undefined;
      for (const key of manifests) {
        const finishedAt = (await storage.stat(key))?.modified;
        if (finishedAt && (!latest || finishedAt > latest.finishedAt))
          latest = { id: key.split("/")[1] ?? key, finishedAt };
      }
      return latest;
    } finally {
      await storage.close?.();
    }
  },
});
