import type { ZopsConfig } from "../config/index.js";
import { ensureClusterIdentity, openRepository } from "../repo/repository.js";
import type { Storage } from "../storage/storage.js";
import { readControlFileFacts, type ControlFileFacts } from "../pg/control-file.js";
import { readIdentityRecord, writeIdentityRecord } from "./push-spool.js";

/**
 * Makes sure the repository is a zops repository that belongs to the cluster in `dataDir` (marker + cluster.json,
 * recording the cluster on first use). The positive answer is cached in the spool for wal.identityCheckMinutes, keyed
 * by repository URL, system identifier and version, so a busy archiver pays no storage round trip per segment. Throws
 * REPO_INVALID for a foreign repository or cluster; a cached answer is never trusted for another one.
 */
export const checkClusterOnce = async (
  storage: Storage,
  config: Pick<ZopsConfig, "repository" | "wal">,
  dataDir: string,
  spool: string,
  now = Date.now(),
): Promise<ControlFileFacts & { cached: boolean }> => {
  const facts = await readControlFileFacts(dataDir);
  const cached = await readIdentityRecord(spool);
  const fresh = cached !== undefined && now - Date.parse(cached.checkedAt) < config.wal.identityCheckMinutes * 60_000;
  if (
    fresh &&
    cached.location === config.repository.url &&
    cached.systemIdentifier === facts.systemIdentifier &&
    cached.pgVersion === facts.pgVersion
  ) {
    return { ...facts, cached: true };
  }
  await openRepository(storage);
  await ensureClusterIdentity(storage, facts.systemIdentifier, facts.pgVersion);
  await writeIdentityRecord(spool, {
    location: config.repository.url,
    ...facts,
    checkedAt: new Date(now).toISOString(),
  }).catch(() => undefined); // cache only
  return { ...facts, cached: false };
};
