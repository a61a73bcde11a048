import type { BackupManifest } from "../backup/manifest.js";
import { classifyBackups, summarizeProblems, type UnrestorableBackup } from "../backup/restorable.js";
import type { BackupScan } from "../backup/scan-backups.js";
import { BACKUPS_PREFIX, backupIdOfKey, backupManifestKey, backupPrefix } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { listWal, type WalObject } from "../wal/catalog.js";
import { parseSegmentName } from "../pg/wal-segment.js";

// Retention (docs/repository-format.md "Base backups"): keep the newest N *restorable* chains (a full
// backup with its incrementals) and every chain newer than the oldest of them, restorable or not;
// delete older chains, leftovers of interrupted backups, and WAL older than the oldest kept
// restorable backup's start segment. A chain is restorable when one of its backups passes the cheap
// check (manifest readable, every object present with its size). Planning is read-only.

/** A chain kept although it cannot be restored, and why (the operator decides: verify, repair or delete). */
export interface BrokenChainKept {
  /** Id of the chain's full backup (or of a backup whose damaged manifest hides which chain it belongs to). */
  readonly chain: string;
  readonly backups: string[];
  readonly reason: string;
}

export interface ExpirePlan {
  readonly kept: string[];
  /** Chains kept that count toward retention.full (each holds at least one restorable backup). */
  readonly restorableChains: string[];
  /** Unrestorable chains kept because they are newer than the oldest kept restorable chain (or none is restorable). */
  readonly brokenKept: BrokenChainKept[];
  readonly expiredBackups: string[];
  /** Prefixes of interrupted backups (objects without a manifest). */
  readonly leftovers: string[];
  readonly walObjects: WalObject[];
  /** Keys to delete, manifests first so a half-applied expire never shows a backup whose data is gone. */
  readonly manifestKeys: string[];
  readonly dataKeys: string[];
  readonly bytes: number;
}

/** The backups sharing one full backup id; `unrestorable` lists its members that fail the cheap check. */
interface ChainUnit {
  readonly id: string;
  readonly members: string[];
  readonly restorable: BackupManifest[];
  readonly unrestorable: UnrestorableBackup[];
}

// Groups backups (readable or damaged) by the full backup they build on; a damaged manifest forms its own unit
// unless it is the full of readable incrementals. Pure.
const chainUnits = (
  scan: BackupScan,
  restorable: readonly BackupManifest[],
  unrestorable: readonly UnrestorableBackup[],
): ChainUnit[] => {
  const units = new Map<string, ChainUnit>();
  const unitOf = (id: string) => {
    let unit = units.get(id);
    if (!unit) units.set(id, (unit = { id, members: [], restorable: [], unrestorable: [] }));
    return unit;
  };
  const good = new Set(restorable.map((backup) => backup.id));
  const reasons = new Map(unrestorable.map((backup) => [backup.id, backup]));
  for (const backup of scan.backups) {
    const unit = unitOf(backup.full);
    unit.members.push(backup.id);
    if (good.has(backup.id)) unit.restorable.push(backup);
  }
  for (const damaged of scan.damaged) unitOf(damaged.id).members.push(damaged.id);
  for (const unit of units.values()) {
    unit.members.sort();
    for (const id of unit.members) {
      const problem = reasons.get(id);
      if (problem) unit.unrestorable.push(problem);
    }
  }
  return [...units.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
};

/**
 * Computes what expire would delete (lists backups/ and wal/ once each). Read-only. Never leaves fewer restorable
 * chains than `keepFull` (at least 1) while they exist, never selects the newest restorable chain, a chain newer than
 * the oldest kept restorable one, or WAL a kept restorable backup needs; with no restorable chain it expires no backup
 * and no WAL. With `verifyContent` (expire --verify) a backup that passes the cheap check but whose content it finds
 * problems in counts as unrestorable too.
 */
export const planExpire = async (
  storage: Storage,
  scan: BackupScan,
  keepFull: number,
  options: { verifyContent?: (backup: BackupManifest) => Promise<string[]> } = {},
): Promise<ExpirePlan> => {
  const listed: { key: string; size: number }[] = [];
  const sizes = new Map<string, number>();
  for await (const info of storage.list(BACKUPS_PREFIX)) {
    listed.push({ key: info.key, size: info.size });
    sizes.set(info.key, info.size);
  }
  const cheap = classifyBackups(scan, sizes);
  const restorable: BackupManifest[] = [];
  const unrestorable = [...cheap.unrestorable];
  for (const backup of cheap.restorable) {
    const problems = options.verifyContent ? await options.verifyContent(backup) : [];
    if (problems.length === 0) restorable.push(backup);
    else unrestorable.push({ id: backup.id, reason: summarizeProblems(problems) });
  }
  const units = chainUnits(scan, restorable, unrestorable);
  const keptUnits: ChainUnit[] = [];
  let restorableKept = 0;
  for (const unit of [...units].reverse()) {
    if (restorableKept >= Math.max(1, keepFull)) break;
    keptUnits.push(unit);
    if (unit.restorable.length > 0) restorableKept += 1;
  }
  // No restorable chain at all: nothing is deleted but leftovers; the broken chains are reported.
  if (restorableKept === 0) keptUnits.splice(0, keptUnits.length, ...units);
  const kept = new Set(keptUnits.flatMap((unit) => unit.members));
  const brokenKept = keptUnits
    .filter((unit) => unit.unrestorable.length > 0)
    .map((unit) => ({
      chain: unit.id,
      backups: unit.unrestorable.map((backup) => backup.id),
      reason:
        (unit.restorable.length > 0
          ? `${unit.unrestorable.length} of ${unit.members.length} backups unrestorable`
          : restorableKept === 0
            ? "no restorable chain in the repository: kept everything"
            : "unrestorable, kept because it is newer than the oldest kept restorable chain") +
        `: ${unit.unrestorable.map((backup) => `${backup.id}: ${backup.reason}`).join("; ")}`,
    }))
    .reverse();
  const known = new Set([...scan.backups.map((backup) => backup.id), ...scan.damaged.map((damaged) => damaged.id)]);
  const expired = [...known].filter((id) => !kept.has(id)).sort();
  const manifestKeys = expired.map(backupManifestKey);
  const dataKeys: string[] = [];
  const leftovers = new Set<string>();
  let bytes = 0;
  for (const info of listed) {
    const id = backupIdOfKey(info.key);
    if (!id || kept.has(id) || info.key === backupManifestKey(id)) continue;
    if (!known.has(id)) leftovers.add(backupPrefix(id));
    dataKeys.push(info.key);
    bytes += info.size;
  }
  const oldestKept = restorable
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
  return {
    kept: [...kept].sort(),
    restorableChains: keptUnits.filter((unit) => unit.restorable.length > 0).map((unit) => unit.id),
    brokenKept,
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
