import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Of } from "../crypto/hash.js";
import { readConffileTable, readShippedContent } from "./conffile-table.js";
import { unifiedDiff } from "./diff.js";
import type { DeployPaths } from "./paths.js";

/** State of one installed config file against what zops installed. */
export interface DriftEntry {
  readonly path: string;
  readonly state: "clean" | "edited" | "missing";
  readonly installedVersion: string;
  readonly diff?: string;
}

/**
 * Compares each config file zops installed (the conffile table) with the disk; with `diff`, a unified diff installed
 * -> on disk for each that differs. Read only.
 */
export const findDrift = async (paths: DeployPaths, diff: boolean): Promise<DriftEntry[]> => {
  const table = await readConffileTable(paths.conffileTable);
  const entries: DriftEntry[] = [];
  for (const [destination, row] of Object.entries(table.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(paths.configDir, destination);
    const disk = await readFile(path).catch(() => undefined);
    const state = disk === undefined ? "missing" : sha256Of(disk) === row.sha256 ? "clean" : "edited";
    let text: string | undefined;
    if (diff && state !== "clean") {
      const base = await readShippedContent(paths.conffileStore, row.sha256);
      text = await unifiedDiff(
        { label: `${path} (installed by ${row.version})`, text: base?.toString("utf8") },
        { label: `${path} (on disk)`, text: disk?.toString("utf8") },
      );
    }
    entries.push({ path, state, installedVersion: row.version, diff: text });
  }
  return entries;
};
