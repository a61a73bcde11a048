import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { walkScenario } from "./crash-walk-scenario.js";

// Crash-point walk of a failing `zops upgrade` v2 -> v3: a restore point (irreversible migration), then v3's start
// fails and the automatic rollback restores the restore point. Every point, including inside the restore and inside
// the migration transaction, then `zops rollback` or a re-run (which fails again and rolls back: exit 8).
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.destroy());

describe("crash-point walk: upgrade v2 -> v3 that fails and rolls back from its restore point", () => {
  it("holds the invariant after a kill at every point, recovered by rollback and by a re-run", {
    timeout: 3_600_000,
  }, async () => {
    const points = await walkScenario(cluster, {
      pre: ["v1", "v2"],
      refuseStart: "3.0.0",
      command: (walk) => ["upgrade", walk.env.releases.v3, "--yes"],
      rerun: (walk) => ["upgrade", walk.env.releases.v3, "--yes"],
      rerunOutcome: { exit: 8, version: "2.0.0" },
    });
    expect(points).toBeGreaterThanOrEqual(20);
  });
});
