import { formatTable } from "../ui/output.js";
import { nagiosExit, worstStatus, type ProbeResult } from "./probe.js";

export type CheckFormat = "text" | "json" | "nagios" | "prometheus";

/** Plain text: one row per probe. */
export const formatText = (results: readonly ProbeResult[]): string => {
  const overall = worstStatus(results.map((result) => result.status));
  const rows = results.map((result) => [result.name, result.status.toUpperCase(), result.message]);
  return `${formatTable([["PROBE", "STATUS", "MESSAGE"], ...rows])}\n\nOverall: ${overall.toUpperCase()}`;
};

/** JSON document: overall status, Nagios exit code, probes. */
export const formatJson = (results: readonly ProbeResult[], now = new Date()) => {
  const status = worstStatus(results.map((result) => result.status));
  return { status, exitCode: nagiosExit(status), checkedAt: now.toISOString(), probes: results };
};

/** Nagios plugin output: one status line with the non-OK probes, then `|` and perfdata (value;warn;crit). */
export const formatNagios = (results: readonly ProbeResult[]): string => {
  const status = worstStatus(results.map((result) => result.status));
  const problems = results.filter((result) => result.status !== "ok");
  const summary =
    problems.length === 0
      ? `all ${results.length} checks OK`
      : problems.map((result) => `${result.name}: ${result.message}`).join("; ");
  const perf = results.flatMap((result) =>
    Object.entries(result.metrics).map(([key, value]) => {
      const limits = result.thresholds?.[key];
      return `'${key}'=${value}${limits ? `;${limits.warn};${limits.crit}` : ""}`;
    }),
  );
  return (
    `ZOPS ${status.toUpperCase()} - ` +
    `${summary.replace(/\|/g, "/").replace(/\n/g, " ")}${perf.length > 0 ? ` | ${perf.join(" ")}` : ""}`
  );
};

/**
 * Prometheus textfile-collector format: zops_check_status{probe} (0 ok, 1 warning, 2 critical, 3 unknown), every metric
 * as zops_<name>, and the check time.
 */
export const formatPrometheus = (results: readonly ProbeResult[], now = new Date()): string => {
  const lines = [
    "# HELP zops_check_status Result of each zops check probe (0 ok, 1 warning, 2 critical, 3 unknown).",
    "# TYPE zops_check_status gauge",
    ...results.map((result) => `zops_check_status{probe="${result.name}"} ${nagiosExit(result.status)}`),
  ];
  const seen = new Set<string>();
  for (const result of results) {
    for (const [key, value] of Object.entries(result.metrics)) {
      const metric = `zops_${key.replace(/[^a-zA-Z0-9_]/g, "_")}`;
      if (seen.has(metric)) continue;
      seen.add(metric);
      lines.push(`# TYPE ${metric} gauge`, `${metric} ${value}`);
    }
  }
  lines.push(
    "# HELP zops_check_timestamp_seconds When zops check ran.",
    "# TYPE zops_check_timestamp_seconds gauge",
    `zops_check_timestamp_seconds ${Math.floor(now.getTime() / 1000)}`,
  );
  return lines.join("\n");
};
