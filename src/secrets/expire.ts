import type { Storage } from "../storage/storage.js";
import { SECRETS_ARCHIVES_PREFIX } from "../repo/layout.js";
import { selectTimeIdsToKeep, type TimeIdRetention } from "../repo/time-id.js";
import { listSecretsArchives, readSecretsManifest } from "./catalog.js";

/**
 * Deletes secrets archives not kept by `policy` (same rules as uploads: keepSince the oldest kept database backup,
 * keepLast, keepIds; the newest is always kept): the manifest first, then its object; then ciphertext objects no
 * manifest names that are older than graceMs (left by interrupted runs). Idempotent; dryRun deletes nothing. Throws
 * when a kept manifest cannot be read (nothing orphan-like is deleted then).
 */
export const expireSecrets = async (
  storage: Storage,
  policy: TimeIdRetention,
  options: { dryRun?: boolean; graceMs?: number; now?: Date } = {},
): Promise<{ kept: string[]; expired: string[]; orphans: string[] }> => {
  const archives = await listSecretsArchives(storage);
  const kept = selectTimeIdsToKeep(archives, policy);
  const expired = archives.filter((archive) => !kept.includes(archive.id));
  if (!options.dryRun) {
    for (const archive of expired) {
      const manifest = await readSecretsManifest(storage, archive.id).catch(() => undefined);
      await storage.delete([archive.key]);
      if (manifest) await storage.delete([manifest.object.key]);
    }
  }
  const referenced = new Set<string>();
  for (const id of kept) referenced.add((await readSecretsManifest(storage, id)).object.key);
  const now = (options.now ?? new Date()).getTime();
  const orphans: string[] = [];
  for await (const info of storage.list(SECRETS_ARCHIVES_PREFIX)) {
    const old = info.modified !== undefined && now - info.modified.getTime() >= (options.graceMs ?? 24 * 3_600_000);
    if (old && !referenced.has(info.key)) orphans.push(info.key);
  }
  if (!options.dryRun && orphans.length > 0) await storage.delete(orphans);
  return { kept, expired: expired.map((archive) => archive.id), orphans };
};
