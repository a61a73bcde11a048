import { resolve } from "node:path";
import { ZopsError } from "../errors/index.js";
import type { ArchiveWait } from "../drill/archive-point.js";
import { formatDrillReport } from "../drill/report.js";
import { openStorage } from "../storage/open.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { createTasks } from "../ui/run-tasks.js";
import type { DrillContext } from "../../tasks/drill/context.js";
import { drillTasks, finishDrill } from "../../tasks/drill/graph.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

export interface DrillOptions {
  readonly backup?: string;
  readonly keep?: boolean;
  readonly identity?: string;
  readonly timeout?: string;
}

/** Reads the repository: expire deletes nothing meanwhile. A failed check is VERIFY_FAILED (7). */
export const meta: CommandMeta = { lock: "repo-read", exits: STANDARD_EXITS };

/**
 * `zops drill`: restores a backup into a scratch cluster, replays and compares, verifies, stores and prints the report.
 * Exit 0 when every check passed, PARTIAL (13) when a check could not be made (incomplete, e.g. the fingerprint point
 * never reached the archive), VERIFY_FAILED (7) when one failed; the report is stored either way.
 */
export const runDrill = async (
  globals: GlobalOptions,
  options: DrillOptions = {},
  deps: { archiveWait?: ArchiveWait; sleep?: (ms: number) => Promise<void> } = {},
): Promise<CommandResult> => {
  const timeoutSeconds = Number(options.timeout ?? 4 * 3600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new ZopsError("USAGE", `--timeout must be a positive number of seconds, got '${options.timeout}'`);
  const { config, path } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  const startedAt = new Date();
  const ctx: DrillContext = {
    started: performance.now(),
    serverStarted: false,
    clusterUsable: true,
    downloadMs: 0,
    replayMs: 0,
    firstQueryMs: 0,
    checks: [],
  };
  const request = {
    config,
    configPath: resolve(path),
    storage,
    backup: options.backup ?? "latest",
    keep: options.keep ?? false,
    identityFile: options.identity ? resolve(options.identity) : config.drill.identityFile,
    timeoutMs: timeoutSeconds * 1000,
    archiveWait: deps.archiveWait,
    sleep: deps.sleep,
  };
  try {
    const tasks = createTasks<DrillContext>(drillTasks(request), globals, { exitOnError: false });
    await tasks.run(ctx).catch(() => undefined);
    const report = await finishDrill(request, ctx, startedAt);
    const outcome = report.result === "incomplete" ? "PARTIAL" : report.ok ? "ok" : "VERIFY_FAILED";
    return { outcome, text: formatDrillReport(report), json: report };
  } finally {
    await storage.close?.();
  }
};
