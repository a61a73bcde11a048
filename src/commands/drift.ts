import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ZopsConfig } from "../config/index.js";
import { sha256Of } from "../crypto/hash.js";
import { readConffileTable, readShippedContent } from "../deploy/conffile-table.js";
import { unifiedDiff } from "../deploy/diff.js";
import { deployPaths } from "../deploy/paths.js";
import { formatTable } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** State of one installed config file against what zops installed. */
export interface DriftEntry {
  readonly path: string;
  readonly state: "clean" | "edited" | "missing";
  readonly installedVersion: string;
  readonly diff?: string;
}

/** No lock: reads config files. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops drift [--diff]`: compares each config file zops installed with the disk (read only); --diff shows installed ->
 * on disk.
 */
export const runDrift = async (
  globals: GlobalOptions,
  flags: { diff?: boolean } = {},
  deps: { config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const table = await readConffileTable(paths.conffileTable);
  const entries: DriftEntry[] = [];
  for (const [destination, row] of Object.entries(table.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(paths.configDir, destination);
    const disk = await readFile(path).catch(() => undefined);
    const state = disk === undefined ? "missing" : sha256Of(disk) === row.sha256 ? "clean" : "edited";
    let diff: string | undefined;
    if (flags.diff && state !== "clean") {
      const base = await readShippedContent(paths.conffileStore, row.sha256);
      diff = await unifiedDiff(
        { label: `${path} (installed by ${row.version})`, text: base?.toString("utf8") },
        { label: `${path} (on disk)`, text: disk?.toString("utf8") },
      );
    }
    entries.push({ path, state, installedVersion: row.version, diff });
  }
  const drifted = entries.filter((entry) => entry.state !== "clean");
  const lines = entries.length
    ? [
        formatTable([
          ["FILE", "STATE", "INSTALLED BY"],
          ...entries.map((entry) => [entry.path, entry.state, entry.installedVersion]),
        ]),
      ]
    : [`no config files installed by zops (table ${paths.conffileTable})`];
  for (const entry of drifted) if (entry.diff) lines.push(entry.diff);
  lines.push(
    drifted.length
      ? `${drifted.length} of ${entries.length} config file(s) differ from what zops installed`
      : "no drift",
  );
  return { text: lines.join("\n"), json: { files: entries, drifted: drifted.length } };
};
