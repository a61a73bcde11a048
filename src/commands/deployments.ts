import type { ZopsConfig } from "../config/index.js";
import { listDeployments } from "../deploy/deployments.js";
import { deployPaths } from "../deploy/paths.js";
import { formatTable } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** No lock: lists deployments. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/** `zops deployments`: lists deployments oldest first with version and current/last/next marks (read only). */
export const runDeployments = async (
  globals: GlobalOptions,
  _flags: Record<string, unknown> = {},
  deps: { config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const deployments = await listDeployments(deployPaths(config.deploy));
  const rows = deployments.map((entry) => [
    entry.name,
    entry.releaseName ?? "?",
    entry.version ?? "?",
    entry.marks.join(","),
  ]);
  return {
    text: deployments.length
      ? formatTable([["DEPLOYMENT", "RELEASE", "VERSION", "MARKS"], ...rows])
      : `no deployments under ${config.deploy.root}/deployments`,
    json: deployments.map((entry) => ({
      name: entry.name,
      path: entry.path,
      release: entry.releaseName,
      version: entry.version,
      marks: entry.marks,
    })),
  };
};
