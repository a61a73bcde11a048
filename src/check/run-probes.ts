import { messageOf } from "../errors/index.js";
import type { CheckContext, Probe, ProbeResult } from "./probe.js";

/**
 * Runs every probe concurrently; a probe that throws (PostgreSQL down, storage unreadable) yields `unknown` with the
 * error, never aborts the others.
 */
export const runProbes = (
  context: CheckContext,
  probes: readonly { name: string; probe: Probe }[],
): Promise<ProbeResult[]> =>
  Promise.all(
    probes.map(({ name, probe }) =>
      probe(context).catch(
        (error: unknown): ProbeResult => ({
          name,
          status: "unknown",
          message: `unable to check: ${messageOf(error)}`,
          metrics: {},
        }),
      ),
    ),
  );
