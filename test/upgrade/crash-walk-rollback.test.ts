import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { walkScenario } from "./crash-walk-scenario.js";

// Crash-point walk of `zops rollback --migrations down` v2 -> v1 (down steps of 002): every point, then `zops
// rollback` (which rolls the interrupted rollback back) or a re-run of the v2 upgrade.
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

describe("crash-point walk: rollback --migrations down v2 -> v1", () => {
  it("holds the invariant after a kill at every point, recovered by rollback and by a re-run", {
    timeout: 1_800_000,
  }, async () => {
    const points = await walkScenario(cluster, {
      pre: ["v1", "v2"],
      command: () => ["rollback", "--yes", "--migrations", "down"],
      rerun: (walk) => ["upgrade", walk.env.releases.v2, "--yes"],
      rerunOutcome: { exit: 0, version: "2.0.0" },
    });
    expect(points).toBeGreaterThanOrEqual(10);
  });
});
