import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { walkScenario } from "./crash-walk-scenario.js";

// Crash-point walk of `zops upgrade` v1 -> v2 (reversible migration): every point, then `zops rollback` or a re-run.
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

describe("crash-point walk: upgrade v1 -> v2", () => {
  it("holds the invariant after a kill at every point, recovered by rollback and by a re-run", {
    timeout: 3_600_000,
  }, async () => {
    const points = await walkScenario(cluster, {
      pre: ["v1"],
      command: (walk) => ["upgrade", walk.env.releases.v2, "--yes"],
      rerun: (walk) => ["upgrade", walk.env.releases.v2, "--yes"],
      rerunOutcome: { exit: 0, version: "2.0.0" },
    });
    expect(points).toBeGreaterThanOrEqual(20);
  });
});
