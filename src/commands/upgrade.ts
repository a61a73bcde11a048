import type { ZopsConfig } from "../config/index.js";
import { type BackupCatalog, repositoryBackupCatalog } from "../deploy/backup-freshness.js";
import type { ConfigPolicy } from "../deploy/drift.js";
import { newRunId } from "../deploy/journal.js";
import { deployPaths } from "../deploy/paths.js";
import { openRunLog, type RunLog } from "../deploy/run-log.js";
import { ZopsError } from "../errors/index.js";
import { confirmOnTerminal } from "../ui/confirm.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { PLAN_EXITS } from "./exits.js";
import type { Confirm, UpgradeContext } from "../../tasks/upgrade/context.js";
import { upgradeTasks } from "../../tasks/upgrade/graph.js";
import { runDeployGraph } from "../../tasks/upgrade/run.js";
import { loadCommandConfig } from "./load-config.js";

/** The deploy lock (none with --plan: it writes nothing); --plan exits 0 nothing, 2 planned, 4 blocked. */
export const meta: CommandMeta = { lock: (options) => (options.plan ? "none" : "deploy"), exits: PLAN_EXITS };

/** Commander options of `zops upgrade`. */
export interface UpgradeFlags {
  plan?: boolean;
  yes?: boolean;
  configPolicy?: string;
  skipMigrations?: boolean;
  restart?: boolean;
  allowDowngrade?: boolean;
}

/** Dependencies a test or embedding program may replace. */
export interface UpgradeDeps {
  readonly config?: ZopsConfig;
  readonly catalog?: BackupCatalog;
  readonly confirm?: Confirm;
}

const NULL_LOG: RunLog = { path: "(none: --plan writes nothing)", write: () => undefined };

/** `zops upgrade <tarball>`: one graph, preflight -> plan | confirm -> critical -> finish (docs/release-format.md). */
export const runUpgrade = async (
  globals: GlobalOptions,
  tarball: string,
  flags: UpgradeFlags = {},
  deps: UpgradeDeps = {},
): Promise<CommandResult> => {
  const policy = flags.configPolicy ?? "fail";
  if (!["fail", "keep", "replace"].includes(policy))
    throw new ZopsError("USAGE", `--config-policy must be keep, replace or fail, got '${policy}'`);
  const options = {
    ...{ plan: Boolean(flags.plan), yes: Boolean(flags.yes), configPolicy: policy as ConfigPolicy },
    ...{ skipMigrations: Boolean(flags.skipMigrations), restart: flags.restart !== false },
    allowDowngrade: Boolean(flags.allowDowngrade),
  };
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const log = options.plan ? NULL_LOG : openRunLog(paths.log, `upgrade[${process.pid}]`);
  log.write(`zops upgrade ${tarball}${optionText(options)}`);
  const confirm =
    deps.confirm ??
    ((plan, question) => confirmOnTerminal(plan, question, "review `zops upgrade --plan`, then pass --yes"));
  const ctx: UpgradeContext = {
    ...{ command: "upgrade", tarball, config, paths, options, log, runId: newRunId(), confirm },
    ...{ planOnly: options.plan, yes: options.yes, catalog: deps.catalog ?? repositoryBackupCatalog(config) },
    ...{ notes: [], blockers: [], configChanges: [], migrations: [], pendingMigrations: [], irreversible: [] },
    ...{ ranMigrations: [], timings: [], purged: [] },
  };
  return runDeployGraph(ctx, upgradeTasks(), globals);
};

const optionText = (options: UpgradeContext["options"]): string => {
  const given = [
    ...[options.yes ? "--yes" : "", options.configPolicy !== "fail" ? `--config-policy ${options.configPolicy}` : ""],
    ...[options.skipMigrations ? "--skip-migrations" : "", options.restart ? "" : "--no-restart"],
    options.allowDowngrade ? "--allow-downgrade" : "",
  ].filter(Boolean);
  return given.length ? ` ${given.join(" ")}` : "";
};
