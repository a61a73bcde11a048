import type { ZopsConfig } from "../config/index.js";
import { newRunId } from "../deploy/journal.js";
import { deployPaths } from "../deploy/paths.js";
import { openRunLog, type RunLog } from "../deploy/run-log.js";
import { ZopsError } from "../errors/index.js";
import { confirmOnTerminal } from "../ui/confirm.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { PLAN_EXITS } from "./exits.js";
import type { Confirm } from "../../tasks/upgrade/context.js";
import { type RollbackContext, rollbackTasks } from "../../tasks/upgrade/rollback.js";
import { runDeployGraph } from "../../tasks/upgrade/run.js";
import { loadCommandConfig } from "./load-config.js";

/** The deploy lock (none with --plan: it writes nothing); --plan exits 0 nothing, 2 planned, 4 blocked. */
export const meta: CommandMeta = { lock: (options) => (options.plan ? "none" : "deploy"), exits: PLAN_EXITS };

/** Commander options of `zops rollback`. */
export interface RollbackFlags {
  plan?: boolean;
  yes?: boolean;
  migrations?: string;
}

const NULL_LOG: RunLog = { path: "(none: --plan writes nothing)", write: () => undefined };

/**
 * `zops rollback`: an interrupted upgrade or rollback is rolled back from its journal; otherwise switch current back
 * to last (stop, --migrations down reverts the database, switch, start, health gate), journaled like an upgrade.
 */
export const runRollback = async (
  globals: GlobalOptions,
  flags: RollbackFlags = {},
  deps: { config?: ZopsConfig; confirm?: Confirm } = {},
): Promise<CommandResult> => {
  const migrations = flags.migrations ?? "keep";
  if (migrations !== "keep" && migrations !== "down")
    throw new ZopsError("USAGE", `--migrations must be keep or down, got '${migrations}'`);
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const log = flags.plan ? NULL_LOG : openRunLog(paths.log, `rollback[${process.pid}]`);
  log.write(`zops rollback${flags.yes ? " --yes" : ""} --migrations ${migrations}`);
  const confirm =
    deps.confirm ??
    ((plan, question) => confirmOnTerminal(plan, question, "review `zops rollback --plan`, then pass --yes"));
  const ctx: RollbackContext = {
    ...{ command: "rollback", config, paths, log, runId: newRunId(), confirm, migrations },
    ...{
      planOnly: Boolean(flags.plan),
      yes: Boolean(flags.yes),
      notes: [],
      blockers: [],
      timings: [],
      newer: [],
      configChanges: [],
    },
  };
  return runDeployGraph(ctx, rollbackTasks(), globals);
};
