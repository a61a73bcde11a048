import type { BackupManifest } from "./manifest.js";

/** A full backup and the incrementals built on it, oldest first. */
export interface BackupChain {
  readonly full: BackupManifest;
  readonly incrementals: BackupManifest[];
}

/**
 * Groups backups (oldest first) into chains by their `full` field; incrementals whose full is gone are returned as
 * orphans. Pure.
 */
export const groupChains = (
  backups: readonly BackupManifest[],
): { chains: BackupChain[]; orphans: BackupManifest[] } => {
  const chains = new Map<string, BackupChain>();
  const orphans: BackupManifest[] = [];
  for (const backup of backups) {
    if (backup.type === "full") chains.set(backup.id, { full: backup, incrementals: [] });
  }
  for (const backup of backups) {
    if (backup.type !== "incr") continue;
    const chain = chains.get(backup.full);
    if (chain) chain.incrementals.push(backup);
    else orphans.push(backup);
  }
  return { chains: [...chains.values()].sort((a, b) => (a.full.id < b.full.id ? -1 : 1)), orphans };
};

/**
 * The backup an incremental builds on: the newest backup of the newest chain on this cluster, or undefined (the backup
 * becomes a full). Pure.
 */
export const pickParent = (
  backups: readonly BackupManifest[],
  systemIdentifier: string,
): BackupManifest | undefined => {
  const own = backups.filter((backup) => backup.systemIdentifier === systemIdentifier);
  return own[own.length - 1];
};
