import { messageOf } from "../errors/index.js";
import type { CheckContext, ProbeEntry, ProbeResult } from "./probe.js";

/**
 * Runs the probes in dependency order, each level concurrently; results come back in the order given. A probe whose
 * needed probe did not pass (status other than ok or warning) is not run: it is `unknown` with `skippedBecause` set,
 * so one cause is reported once. A probe that throws yields `unknown` with the error and never aborts the others.
 * Every needed probe must be in `probes` (selectProbes adds them).
 */
export const runProbes = async (context: CheckContext, probes: readonly ProbeEntry[]): Promise<ProbeResult[]> => {
  const results = new Map<string, ProbeResult>();
  let pending = [...probes];
  while (pending.length > 0) {
    const ready = pending.filter((entry) => entry.needs.every((need) => results.has(need)));
    if (ready.length === 0) throw new Error(`probe dependencies unresolved: ${pending.map((p) => p.name).join(", ")}`);
    const done = await Promise.all(ready.map((entry) => runOne(context, entry, results)));
    for (const result of done) results.set(result.name, result);
    pending = pending.filter((entry) => !ready.includes(entry));
  }
  return probes.map((entry) => results.get(entry.name) as ProbeResult);
};

const runOne = async (
  context: CheckContext,
  entry: ProbeEntry,
  results: ReadonlyMap<string, ProbeResult>,
): Promise<ProbeResult> => {
  const failed = entry.needs.find((need) => {
    const status = results.get(need)?.status;
    return status !== "ok" && status !== "warning";
  });
  if (failed !== undefined)
    return {
      name: entry.name,
      status: "unknown",
      message: `skipped: ${failed} failed`,
      metrics: {},
      skippedBecause: failed,
    };
  try {
    return await entry.probe(context);
  } catch (error) {
    return { name: entry.name, status: "unknown", message: `unable to check: ${messageOf(error)}`, metrics: {} };
  }
};
