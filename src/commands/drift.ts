import type { ZopsConfig } from "../config/index.js";
import { findDrift } from "../deploy/drift-report.js";
import { deployPaths } from "../deploy/paths.js";
import { formatTable } from "../ui/output.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { DRIFT_EXITS } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

/** No lock: reads config files; exits 2 when one drifted. */
export const meta: CommandMeta = { lock: "none", exits: DRIFT_EXITS };

export type { DriftEntry } from "../deploy/drift-report.js";

/**
 * `zops drift [--diff]`: compares each config file zops installed with the disk (read only); exits 0 when nothing
 * drifted and 2 when something did, like `--plan`; --diff shows installed -> on disk.
 */
export const runDrift = async (
  globals: GlobalOptions,
  flags: { diff?: boolean } = {},
  deps: { config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const entries = await findDrift(paths, Boolean(flags.diff));
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
  return {
    outcome: drifted.length ? "drifted" : "ok",
    text: lines.join("\n"),
    json: { files: entries, drifted: drifted.length },
  };
};
