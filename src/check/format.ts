import { ZopsError } from "../errors/index.js";
import { formatTable } from "../ui/output.js";
import { METRICS, prometheusName, type MetricName } from "./metrics.js";
import { nagiosExit, worstStatus, type ProbeResult } from "./probe.js";

export type CheckFormat = "text" | "json" | "nagios" | "prometheus";

/**
 * The output format of one `zops check` run. `--json` is the global "machine-readable" switch and means `--format
 * json`; given together with another `--format` the two contradict, and that is a usage error (never a silent pick).
 * Pure. @throws USAGE for `--json` with `--format text|nagios|prometheus`.
 */
export const resolveCheckFormat = (json: boolean, format: CheckFormat | undefined): CheckFormat => {
  if (json && format !== undefined && format !== "json")
    throw new ZopsError("USAGE", `--json and --format ${format} contradict: one output format per run`, {
      hint: `use either --json (the JSON report) or --format ${format}, not both`,
    });
  return json ? "json" : (format ?? "text");
};

/** Plain text: one row per probe. Pure. */
export const formatText = (results: readonly ProbeResult[]): string => {
  const overall = worstStatus(results.map((result) => result.status));
  const rows = results.map((result) => [result.name, result.status.toUpperCase(), result.message]);
  return `${formatTable([["PROBE", "STATUS", "MESSAGE"], ...rows])}\n\nOverall: ${overall.toUpperCase()}`;
};

/** JSON document: overall status, Nagios exit code, probes. Pure. */
export const formatJson = (results: readonly ProbeResult[], now: Date) => {
  const status = worstStatus(results.map((result) => result.status));
  return { status, exitCode: nagiosExit(status), checkedAt: now.toISOString(), probes: results };
};

/**
 * Nagios plugin output: one status line naming each cause once (a probe skipped because a probe it needs failed is
 * listed under that cause, not with its own copy of the error), then `|` and perfdata (`'name'=value[uom];warn;crit`).
 * Pure.
 */
export const formatNagios = (results: readonly ProbeResult[]): string => {
  const status = worstStatus(results.map((result) => result.status));
  const problems = results.filter((result) => result.status !== "ok" && result.skippedBecause === undefined);
  const skipped = new Map<string, string[]>();
  for (const result of results)
    if (result.skippedBecause !== undefined)
      skipped.set(result.skippedBecause, [...(skipped.get(result.skippedBecause) ?? []), result.name]);
  const causes = [
    ...problems.map((result) => `${result.name}: ${result.message}`),
    ...[...skipped].map(([cause, names]) => `skipped because ${cause} failed: ${names.join(", ")}`),
  ];
  const summary = causes.length === 0 ? `all ${results.length} checks OK` : causes.join("; ");
  const perf = results.flatMap((result) =>
    metricEntries(result).map(([name, value]) => {
      const limits = result.thresholds?.[name];
      return `'${name}'=${value}${METRICS[name].uom}${limits ? `;${limits.warn};${limits.crit}` : ""}`;
    }),
  );
  return (
    `ZOPS ${status.toUpperCase()} - ` +
    `${summary.replace(/\|/g, "/").replace(/\n/g, " ")}${perf.length > 0 ? ` | ${perf.join(" ")}` : ""}`
  );
};

/**
 * Prometheus text format (node_exporter's textfile collector): `zops_check_status{probe}` for every probe (0 ok,
 * 1 warning, 2 critical, 3 unknown or skipped), each reported metric once with its catalog HELP and TYPE (metrics.ts),
 * and the check time. Passes `promtool check metrics`. Pure.
 */
export const formatPrometheus = (results: readonly ProbeResult[], now: Date): string => {
  const lines = [
    "# HELP zops_check_status Result of each zops check probe (0 ok, 1 warning, 2 critical, 3 unknown or skipped).",
    "# TYPE zops_check_status gauge",
    ...results.map((result) => `zops_check_status{probe="${escapeLabel(result.name)}"} ${nagiosExit(result.status)}`),
  ];
  const values = new Map<MetricName, number>();
  for (const result of results) for (const [name, value] of metricEntries(result)) values.set(name, value);
  for (const name of Object.keys(METRICS) as MetricName[]) {
    const value = values.get(name);
    if (value === undefined) continue;
    const metric = prometheusName(name);
    lines.push(`# HELP ${metric} ${METRICS[name].help}`, `# TYPE ${metric} ${METRICS[name].type}`);
    lines.push(`${metric} ${prometheusValue(value)}`);
  }
  lines.push(
    "# HELP zops_check_timestamp_seconds When zops check ran (Unix time).",
    "# TYPE zops_check_timestamp_seconds gauge",
    `zops_check_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
  );
  return lines.join("\n");
};

const metricEntries = (result: ProbeResult): [MetricName, number][] =>
  (Object.entries(result.metrics) as [MetricName, number | undefined][]).filter(
    (entry): entry is [MetricName, number] => entry[1] !== undefined,
  );

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const prometheusValue = (value: number): string =>
  Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value);
