import type { Probe } from "./probe.js";
import { archiveSettingsProbe } from "./probes/archive-settings.js";
import { archiverProbe } from "./probes/archiver.js";
import { backupAgeProbe } from "./probes/backup-age.js";
import { drillProbe } from "./probes/drill.js";
import { lastArchivedProbe } from "./probes/last-archived.js";
import { readyBacklogProbe } from "./probes/ready-backlog.js";
import { repositoryProbe } from "./probes/repository.js";
import { walChainProbe } from "./probes/wal-chain.js";

/** Every probe `zops check` runs, in report order. Add new probes here. */
export const PROBES: readonly { readonly name: string; readonly probe: Probe }[] = [
  { name: "repository", probe: repositoryProbe },
  { name: "archive-settings", probe: archiveSettingsProbe },
  { name: "archiver", probe: archiverProbe },
  { name: "ready-backlog", probe: readyBacklogProbe },
  { name: "last-archived", probe: lastArchivedProbe },
  { name: "backup-age", probe: backupAgeProbe },
  { name: "wal-chain", probe: walChainProbe },
  { name: "drill", probe: drillProbe },
];
