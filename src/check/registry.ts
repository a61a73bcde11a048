import type { ProbeEntry } from "./probe.js";
import { archiveSettingsProbe } from "./probes/archive-settings.js";
import { archiverProbe } from "./probes/archiver.js";
import { backupAgeProbe } from "./probes/backup-age.js";
import { drillProbe } from "./probes/drill.js";
import { lastArchivedProbe } from "./probes/last-archived.js";
import { postgresProbe } from "./probes/postgres.js";
import { readyBacklogProbe } from "./probes/ready-backlog.js";
import { repositoryProbe } from "./probes/repository.js";
import { walChainProbe } from "./probes/wal-chain.js";

/**
 * Every probe `zops check` runs, in report order, with the probes each one needs (run first; when one of them fails
 * the dependent probe is skipped and says why). Add new probes here.
 */
export const PROBES: readonly ProbeEntry[] = [
  { name: "postgres", probe: postgresProbe, needs: [] },
  { name: "repository", probe: repositoryProbe, needs: [] },
  { name: "archive-settings", probe: archiveSettingsProbe, needs: ["postgres"] },
  { name: "archiver", probe: archiverProbe, needs: ["postgres"] },
  { name: "ready-backlog", probe: readyBacklogProbe, needs: ["postgres"] },
  { name: "last-archived", probe: lastArchivedProbe, needs: ["postgres", "repository"] },
  { name: "backup-age", probe: backupAgeProbe, needs: ["repository"] },
  { name: "wal-chain", probe: walChainProbe, needs: ["repository"] },
  { name: "drill", probe: drillProbe, needs: ["repository"] },
];
