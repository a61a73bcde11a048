import { BACKUPS_PREFIX } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import type { BackupManifest } from "./manifest.js";
import { scanBackups, type BackupScan } from "./scan-backups.js";

// Restorability (docs/repository-format.md "Damaged backups"): the cheap check that a backup can be
// restored: its manifest reads and every object it lists is stored with the listed size. Content is
// checked by `zops verify` (and `expire --verify`), not here.

/** A backup that cannot be restored, and why (damaged manifest, missing or truncated objects). */
export interface UnrestorableBackup {
  readonly id: string;
  readonly reason: string;
}

/** The scan of backups/ split by restorability, oldest first. */
export interface RestorabilityScan {
  readonly scan: BackupScan;
  readonly restorable: BackupManifest[];
  readonly unrestorable: UnrestorableBackup[];
}

/** Stored size of every object under backups/, by key (one listing). Read-only. */
export const listBackupObjectSizes = async (storage: Storage): Promise<Map<string, number>> => {
  const sizes = new Map<string, number>();
  for await (const info of storage.list(BACKUPS_PREFIX)) sizes.set(info.key, info.size);
  return sizes;
};

/** Every object of `manifest` that is missing or has another size than the manifest lists, as a sentence. Pure. */
export const objectProblems = (manifest: BackupManifest, sizes: ReadonlyMap<string, number>): string[] => {
  const problems: string[] = [];
  for (const object of manifest.objects) {
    const size = sizes.get(object.key);
    if (size === undefined) problems.push(`object '${object.key}' is missing`);
    else if (size !== object.size)
      problems.push(`object '${object.key}' has ${size} bytes, the manifest lists ${object.size}`);
  }
  return problems;
};

/** Joins problems into one reason: the first, and how many more. Pure. */
export const summarizeProblems = (problems: readonly string[]): string =>
  problems.length <= 1 ? (problems[0] ?? "") : `${problems[0]} (and ${problems.length - 1} more problems)`;

/**
 * Splits the backups of a scan by the cheap restorability check against `sizes` (from listBackupObjectSizes). Pure.
 */
export const classifyBackups = (scan: BackupScan, sizes: ReadonlyMap<string, number>): RestorabilityScan => {
  const restorable: BackupManifest[] = [];
  const unrestorable: UnrestorableBackup[] = scan.damaged.map((damaged) => ({ ...damaged }));
  for (const backup of scan.backups) {
    const problems = objectProblems(backup, sizes);
    if (problems.length === 0) restorable.push(backup);
    else unrestorable.push({ id: backup.id, reason: summarizeProblems(problems) });
  }
  unrestorable.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { scan, restorable, unrestorable };
};

/** Reads every manifest and lists backups/ once, then classifies (see classifyBackups). Read-only. */
export const findRestorable = async (storage: Storage): Promise<RestorabilityScan> => {
  const scan = await scanBackups(storage);
  return classifyBackups(scan, await listBackupObjectSizes(storage));
};

/** ", skipped newer unrestorable backups: id (reason); ..." or "" (pure). */
export const describeSkipped = (skipped: readonly UnrestorableBackup[] | undefined): string =>
  skipped && skipped.length > 0
    ? `, skipped newer unrestorable backups: ${skipped.map((backup) => `${backup.id} (${backup.reason})`).join("; ")}`
    : "";
