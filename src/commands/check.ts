import { createCheckContext } from "../check/context.js";
import { ZopsError } from "../errors/index.js";
import {
  formatJson,
  formatNagios,
  formatPrometheus,
  formatText,
  resolveCheckFormat,
  type CheckFormat,
} from "../check/format.js";
import { worstStatus } from "../check/probe.js";
import { selectProbes } from "../check/select-probes.js";
import { runProbes } from "../check/run-probes.js";
import { writeOutputFile } from "../fsio/write-output-file.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { NAGIOS_EXITS } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

/** No lock: read-only probes; the Nagios plugin statuses (0 once the report is written with --output). */
export const meta: CommandMeta = { lock: "none", exits: NAGIOS_EXITS };

const archiveTimeoutMs = (options: { archiveTimeout?: string }): number => {
  const seconds = Number(options.archiveTimeout ?? "60");
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ZopsError("USAGE", `--archive-timeout '${options.archiveTimeout}' is not a number of seconds`, {
      hint: "for example --archive-timeout 60",
    });
  return seconds * 1000;
};

/**
 * `zops check [--format text|json|nagios|prometheus] [--only PROBES] [--output FILE] [--archive]`: read-only probes,
 * exit 0/1/2/3 (Nagios) in every format; `--archive` adds the active probe (switch WAL, wait for the segment in the
 * repository); with `--output` the report goes atomically to FILE and the exit status is 0 once it is written (the
 * status is in the file). A single parallel fan-out of probes, so no Listr2 graph: its output is the report itself.
 */
export const runCheck = async (
  globals: GlobalOptions,
  options: { format?: CheckFormat; only?: string; output?: string; archive?: boolean; archiveTimeout?: string } = {},
  deps: { now?: () => Date } = {},
): Promise<CommandResult> => {
  const format = resolveCheckFormat(globals.json, options.format);
  const probes = selectProbes(options.only, options.archive ? { archiveTimeoutMs: archiveTimeoutMs(options) } : {});
  const { config } = await loadCommandConfig(globals);
  const context = createCheckContext(config, deps.now);
  try {
    const results = await runProbes(context, probes);
    const status = worstStatus(results.map((result) => result.status));
    const json = formatJson(results, context.now());
    const text =
      format === "json"
        ? JSON.stringify(json, null, 2)
        : format === "nagios"
          ? formatNagios(results)
          : format === "prometheus"
            ? formatPrometheus(results, context.now())
            : formatText(results);
    if (options.output === undefined) return { outcome: status, json, text };
    await writeOutputFile(options.output, text);
    return { outcome: "ok", json: { output: options.output, format, status } };
  } finally {
    await context.close();
  }
};
