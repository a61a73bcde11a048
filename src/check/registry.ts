import type { Probe } from "./probe.js";
import { archiveSettingsProbe } from "./probes/archive-settings.js";
import { archiverProbe } from "./probes/archiver.js";
import { lastArchivedProbe } from "./probes/last-archived.js";
import { readyBacklogProbe } from "./probes/ready-backlog.js";
import { repositoryProbe } from "./probes/repository.js";

/** Every probe `zops check` runs, in report order. Add new probes (backup age, drill age, ...) here. */
export const PROBES: readonly { readonly name: string; readonly probe: Probe }[] = [
  { name: "repository", probe: repositoryProbe },
  { name: "archive-settings", probe: archiveSettingsProbe },
  { name: "archiver", probe: archiverProbe },
  { name: "ready-backlog", probe: readyBacklogProbe },
  { name: "last-archived", probe: lastArchivedProbe },
];
