import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/commands/check.js";
import { meta as drillMeta, runDrill } from "../../src/commands/drill.js";
import { resultStatus } from "../../src/commands/exits.js";
import type { Fingerprints } from "../../src/drill/fingerprint.js";
import type { DrillReport } from "../../src/drill/report.js";
import { fingerprintsKey } from "../../src/repo/layout.js";
import { getBuffer, putJson } from "../../src/storage/read.js";
import { makeFileRepository } from "../wal/support.js";
import { nightly, startDrillFixture, type DrillFixture } from "./support.js";

// Issue 11 item 5: a drill never passes a fingerprint comparison it skipped. On an idle cluster straight after the
// backup the comparison runs; when the point cannot reach the archive, the drill is "incomplete" and check is critical.

const fingerprintCheck = (report: DrillReport) => report.checks.find((entry) => entry.name === "data fingerprints");

describe("the drill's fingerprint point on an idle cluster", { timeout: 300_000 }, () => {
  let fixture: DrillFixture;
  let backupId: string;
  let stored: Fingerprints;
  beforeAll(async () => {
    const repo = await makeFileRepository();
    fixture = await startDrillFixture({ url: repo.url });
    const backup = await nightly(fixture);
    expect(backup.exitCode).toBe(0);
    backupId = backup.json.database?.id ?? "";
    stored = JSON.parse((await getBuffer(fixture.storage, fingerprintsKey(backupId))).toString("utf8")) as Fingerprints;
  });
  afterAll(async () => fixture?.destroy());

  it("compares the data when the drill runs right after the backup, nothing written since", async () => {
    const result = await runDrill(fixture.globals, { timeout: "120" });
    const report = result.json as DrillReport;
    expect(fingerprintCheck(report)).toMatchObject({ status: "pass" });
    expect(fingerprintCheck(report)?.message).toMatch(/tables in \d+ databases match/);
    expect(report.result).toBe("passed");
    expect(resultStatus(drillMeta.exits, result)).toBe(0);
  });

  it("forces a WAL switch on the source when the point is not archived yet, then compares", async () => {
    // WAL written without any data change, its end not archived: only a switch forced by the drill archives it.
    await fixture.cluster.query("select pg_logical_emit_message(false, 'test', 'no data change')");
    const [row] = await fixture.cluster.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn");
    await putJson(fixture.storage, fingerprintsKey(backupId), { ...stored, lsn: row?.lsn });
    let sleeps = 0;
    const result = await runDrill(
      fixture.globals,
      { timeout: "120" },
      {
        archiveWait: { attempts: 200, delayMs: 50 },
        sleep: (ms) => {
          sleeps += 1;
          return new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
    );
    const report = result.json as DrillReport;
    expect(fingerprintCheck(report)).toMatchObject({ status: "pass" });
    expect(fingerprintCheck(report)?.message).toContain("archived after a forced WAL switch");
    expect(sleeps).toBeLessThan(200);
    expect(report.result).toBe("passed");
  });

  it("is incomplete, exits non-zero and makes check critical when the point never reaches the archive", async () => {
    // A point far beyond anything the source will write: no switch can archive it.
    await putJson(fixture.storage, fingerprintsKey(backupId), { ...stored, lsn: "FF/0" });
    let sleeps = 0;
    const result = await runDrill(
      fixture.globals,
      { timeout: "120" },
      {
        archiveWait: { attempts: 3, delayMs: 1 },
        sleep: async () => {
          sleeps += 1;
        },
      },
    );
    const report = result.json as DrillReport;
    expect(fingerprintCheck(report)).toMatchObject({ status: "incomplete" });
    expect(fingerprintCheck(report)?.message).toContain("the data was not compared");
    expect(sleeps).toBe(2);
    expect(report.ok).toBe(false);
    expect(report.result).toBe("incomplete");
    expect(resultStatus(drillMeta.exits, result)).toBe(13);
    expect(result.text).toContain("INCOMPLETE");
    const check = (await runCheck(fixture.globals, { only: "drill" })).json as {
      probes: { name: string; status: string; message: string }[];
    };
    const probe = check.probes.find((entry) => entry.name === "drill");
    expect(probe?.status).toBe("critical");
    expect(probe?.message).toContain("INCOMPLETE");
    await putJson(fixture.storage, fingerprintsKey(backupId), stored);
  });
});
