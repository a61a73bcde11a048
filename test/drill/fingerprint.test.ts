import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureFingerprints, compareFingerprints } from "../../src/drill/fingerprint.js";
import { compareLsn } from "../../src/pg/lsn.js";
import { startCluster, type TestCluster } from "../support/postgres.js";

describe("data fingerprints", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.query("create database app");
    await cluster.query(
      "create table messages (id int primary key, body text); insert " +
        "into messages select g, 'm' || g from generate_series(1, 500) g",
      [],
      "app",
    );
    await cluster.query("create table big (id int); insert into big select generate_series(1, 2000)", [], "app");
  });
  afterAll(async () => cluster?.destroy());

  it("captures row counts and content hashes per table in every database, with a snapshot LSN", async () => {
    const first = await captureFingerprints(cluster.postgresConfig);
    expect(Object.keys(first.databases).sort()).toEqual(["app", "postgres"]);
    expect(first.databases.app?.messages).toMatchObject({ rows: 500, writesDuringCapture: 0 });
    expect(first.databases.app?.messages?.hash).toMatch(/^-?\d+$/);
    expect(compareLsn(first.lsn, "0/1000000")).toBeGreaterThan(0);
    const again = await captureFingerprints(cluster.postgresConfig);
    expect(compareFingerprints(first, again)).toEqual([]);
  });

  it("detects a changed row with the same count, a lost row and a missing table", async () => {
    const before = await captureFingerprints(cluster.postgresConfig);
    await cluster.query("update messages set body = 'changed' where id = 7", [], "app");
    await cluster.query("delete from big where id = 1", [], "app");
    const after = await captureFingerprints(cluster.postgresConfig);
    const problems = compareFingerprints(
      {
        ...before,
        databases: {
          ...before.databases,
          app: {
            ...before.databases.app,
            messages: { ...before.databases.app!.messages!, writesDuringCapture: 0 },
            gone: { rows: 1, hash: undefined, writesDuringCapture: 0 },
          },
        },
      },
      after,
    );
    expect(problems).toEqual([
      { database: "app", table: "big", problem: "row count 1999, expected 2000" },
      { database: "app", table: "messages", problem: "content hash differs with the same row count" },
      { database: "app", table: "gone", problem: "table missing after restore" },
    ]);
  });

  it("tolerates tables written during capture by at most their write count", () => {
    const base = {
      capturedAt: "",
      lsn: "0/1",
      databases: { app: { t: { rows: 100, hash: "1", writesDuringCapture: 3 } } },
    };
    expect(
      compareFingerprints(base, {
        ...base,
        databases: { app: { t: { rows: 102, hash: "9", writesDuringCapture: 0 } } },
      }),
    ).toEqual([]);
    expect(
      compareFingerprints(base, {
        ...base,
        databases: { app: { t: { rows: 96, hash: "9", writesDuringCapture: 0 } } },
      }),
    ).toHaveLength(1);
  });

  it("keeps only row counts for tables over the size cap", async () => {
    const capped = await captureFingerprints(cluster.postgresConfig, { maxTableBytes: 0 });
    expect(capped.databases.app?.messages).toMatchObject({ rows: 500, hash: undefined });
  });
});
