import { groupChains } from "../backup/chains.js";
import type { BackupManifest } from "../backup/manifest.js";
import { BACKUPS_PREFIX, backupIdOfKey, backupManifestKey, backupPrefix } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { listWal, type WalObject } from "../wal/catalog.js";
import { parseSegmentName } from "../pg/wal-segment.js";

// Retention (docs/repository-format.md "Base backups"): keep the newest N full backups with their
// incrementals; delete older chains, orphaned incrementals, leftovers of interrupted backups,
// and WAL older than the oldest kept backup's start segment. Planning is read-only.

export interface ExpirePlan {
  readonly kept: string[];
  readonly expiredBackups: string[];
  /** Prefixes of interrupted backups (objects without a manifest). */
  readonly leftovers: string[];
  readonly walObjects: WalObject[];
  /** Keys to delete, manifests first so a half-applied expire never shows a backup whose data is gone. */
  readonly manifestKeys: string[];
  readonly dataKeys: string[];
  readonly bytes: number;
}

/**
 * Computes what expire would delete (lists backups/ and wal/ once each). Read-only; never selects the newest full chain
 * or WAL a kept backup needs.
 */
export const planExpire = async (
  storage: Storage,
  backups: readonly BackupManifest[],
  keepFull: number,
): Promise<ExpirePlan> => {
  const { chains, orphans } = groupChains(backups);
  const keptChains = chains.slice(Math.max(0, chains.length - Math.max(1, keepFull)));
  const kept = new Set(
    keptChains.flatMap((chain) => [chain.full.id, ...chain.incrementals.map((backup) => backup.id)]),
  );
  const expired = backups.filter((backup) => !kept.has(backup.id)).map((backup) => backup.id);
  const complete = new Set(backups.map((backup) => backup.id));
  const manifestKeys = expired.map(backupManifestKey);
  const dataKeys: string[] = [];
  const leftovers = new Set<string>();
  let bytes = 0;
  for await (const info of storage.list(BACKUPS_PREFIX)) {
    const id = backupIdOfKey(info.key);
    if (!id || kept.has(id) || info.key === backupManifestKey(id)) continue;
    if (!complete.has(id)) leftovers.add(backupPrefix(id));
    dataKeys.push(info.key);
    bytes += info.size;
  }
  const oldestKept = backups
    .filter((backup) => kept.has(backup.id))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1))[0];
  const walObjects: WalObject[] = [];
  if (oldestKept) {
    const limit = parseSegmentName(oldestKept.walStart, oldestKept.walSegmentSize).segno;
    for (const object of await listWal(storage)) {
      if (object.kind === "history") continue;
      const segment = object.name.slice(0, 24);
      if (parseSegmentName(segment, oldestKept.walSegmentSize).segno < limit) {
        walObjects.push(object);
        bytes += object.size;
      }
    }
  }
  void orphans;
  return {
    kept: [...kept].sort(),
    expiredBackups: expired,
    leftovers: [...leftovers].sort(),
    walObjects,
    manifestKeys,
    dataKeys,
    bytes,
  };
};

/**
 * Applies a plan: manifests first, then data, then WAL. Idempotent (missing keys are fine); deletes in batches of 1000.
 */
export const applyExpire = async (storage: Storage, plan: ExpirePlan): Promise<void> => {
  const batches = [plan.manifestKeys, plan.dataKeys, plan.walObjects.map((object) => object.key)];
  for (const keys of batches) {
    for (let index = 0; index < keys.length; index += 1000) await storage.delete(keys.slice(index, index + 1000));
  }
};
