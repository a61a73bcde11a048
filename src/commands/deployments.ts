import type { ZopsConfig } from "../config/index.js";
import { listDeployments, pruneAbandoned } from "../deploy/deployments.js";
import { deployPaths } from "../deploy/paths.js";
import { acquireLock } from "../lock/lock-file.js";
import { formatTable } from "../ui/output.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

/** No lock to list; the deploy lock to --prune. */
export const meta: CommandMeta = { lock: (options) => (options.prune ? "deploy" : "none"), exits: STANDARD_EXITS };

/**
 * `zops deployments [--prune]`: lists deployments oldest first with version and status (current, last, next,
 * previous, failed, rolled back, abandoned); --prune deletes the abandoned ones under the deploy lock.
 */
export const runDeployments = async (
  globals: GlobalOptions,
  flags: { prune?: boolean } = {},
  deps: { config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  let pruned: string[] = [];
  if (flags.prune) {
    const lock = await acquireLock(paths.lock, "zops deployments --prune");
    pruned = await pruneAbandoned(paths).finally(() => lock.release());
  }
  const deployments = await listDeployments(paths);
  const rows = deployments.map((entry) => [entry.name, entry.releaseName ?? "?", entry.version ?? "?", entry.status]);
  const lines = deployments.length
    ? [formatTable([["DEPLOYMENT", "RELEASE", "VERSION", "STATUS"], ...rows])]
    : [`no deployments under ${config.deploy.root}/deployments`];
  if (flags.prune)
    lines.push(pruned.length ? `pruned (abandoned): ${pruned.join(", ")}` : "nothing abandoned to prune");
  const list = deployments.map((entry) => ({
    ...{ name: entry.name, path: entry.path, release: entry.releaseName, version: entry.version },
    ...{ marks: entry.marks, status: entry.status },
  }));
  return { text: lines.join("\n"), json: flags.prune ? { deployments: list, pruned } : list };
};
