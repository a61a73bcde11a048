import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";

describe("test harness: throwaway PostgreSQL cluster", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ settings: { work_mem: "'8MB'" } });
  });
  afterAll(async () => cluster?.destroy());

  it("answers queries on its own socket and port with the requested settings", async () => {
    const [row] = await cluster.query<{ port: string; work_mem: string; checksums: string }>(
      "select current_setting('port') as port, " +
        "current_setting('work_mem') as work_mem, " +
        "current_setting('data_checksums') as checksums",
    );
    expect(row).toEqual({ port: String(cluster.port), work_mem: "8MB", checksums: "on" });
  });

  it("runs PostgreSQL tools as the cluster's OS user", async () => {
    const result = await cluster.exec("pg_controldata", [cluster.dataDir]);
    expect(result.stdout).toMatch(/Database system identifier:\s+\d+/);
  });
});
