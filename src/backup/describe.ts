import type { BackupManifest } from "./manifest.js";

/** The facts `zops backup --json` and `zops backups --json` give for one backup. Pure. */
export const describeBackup = (manifest: BackupManifest, note?: string) => ({
  id: manifest.id,
  type: manifest.type,
  parent: manifest.parent ?? null,
  full: manifest.full,
  startedAt: manifest.startedAt,
  stoppedAt: manifest.stoppedAt,
  startLsn: manifest.startLsn,
  stopLsn: manifest.stopLsn,
  stopTime: manifest.stopTime ?? null,
  timeline: manifest.timeline,
  walStart: manifest.walStart,
  walStop: manifest.walStop,
  pgVersion: manifest.pgVersion,
  systemIdentifier: manifest.systemIdentifier,
  files: manifest.files.length,
  sizes: manifest.sizes,
  ...(note ? { note } : {}),
});
