import { createCheckContext } from "../check/context.js";
import { formatJson, formatNagios, formatPrometheus, formatText, type CheckFormat } from "../check/format.js";
import { worstStatus } from "../check/probe.js";
import { PROBES } from "../check/registry.js";
import { runProbes } from "../check/run-probes.js";
import { ZopsError } from "../errors/index.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { NAGIOS_EXITS } from "./exits.js";

/** No lock: read-only probes; the Nagios plugin statuses. */
export const meta: CommandMeta = { lock: "none", exits: NAGIOS_EXITS };

/**
 * `zops check [--format text|json|nagios|prometheus]`: read-only probes, exit 0/1/2/3 (Nagios) in every format. A
 * single parallel fan-out of read-only probes, so no Listr2 graph: its output is the report itself.
 */
export const runCheck = async (
  globals: GlobalOptions,
  options: { format?: CheckFormat; only?: string } = {},
  deps: { now?: () => Date } = {},
): Promise<CommandResult> => {
  const probes = selectProbes(options.only);
  const { config } = await loadCommandConfig(globals);
  const format: CheckFormat = globals.json ? "json" : (options.format ?? "text");
  const context = createCheckContext(config, deps.now);
  try {
    const results = await runProbes(context, probes);
    const outcome = worstStatus(results.map((result) => result.status));
    const json = formatJson(results, context.now());
    if (format === "json") return { outcome, json, text: JSON.stringify(json, null, 2) };
    const text =
      format === "nagios"
        ? formatNagios(results)
        : format === "prometheus"
          ? formatPrometheus(results, context.now())
          : formatText(results);
    return { outcome, text, json };
  } finally {
    await context.close();
  }
};

// The probes named in --only (comma-separated), or all of them; throws USAGE naming an unknown probe.
const selectProbes = (only: string | undefined): typeof PROBES => {
  if (!only) return PROBES;
  const names = only
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !PROBES.some((probe) => probe.name === name));
  if (unknown.length > 0)
    throw new ZopsError("USAGE", `unknown check '${unknown.join("', '")}' in --only`, {
      hint: `checks: ${PROBES.map((probe) => probe.name).join(", ")}`,
    });
  return PROBES.filter((probe) => names.includes(probe.name));
};
