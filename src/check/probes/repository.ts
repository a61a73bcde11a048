import { messageOf } from "../../errors/index.js";
import { openRepository } from "../../repo/repository.js";
import type { Probe, ProbeResult } from "../probe.js";

/** The repository answers (through the timeout/retry wrapper) and carries a zops marker this version reads. */
export const repositoryProbe: Probe = async (context): Promise<ProbeResult> => {
  const started = performance.now();
  try {
    const storage = await context.storage();
    const marker = await openRepository(storage);
    const seconds = (performance.now() - started) / 1000;
    return {
      name: "repository",
      status: "ok",
      message: `${storage.location} reachable (format version ${marker.version}) in ${seconds.toFixed(2)} s`,
      metrics: { repository_up: 1, repository_latency_seconds: Number(seconds.toFixed(3)) },
    };
  } catch (error) {
    return { name: "repository", status: "critical", message: messageOf(error), metrics: { repository_up: 0 } };
  }
};
