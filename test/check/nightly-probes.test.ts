import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { meta as checkMeta, runCheck } from "../../src/commands/check.js";
import { resultStatus } from "../../src/commands/exits.js";
import { makeDrillId, storeDrillReport, type DrillReport } from "../../src/drill/report.js";
import { openStorage } from "../../src/storage/open.js";
import { listWal, segmentsOf } from "../../src/wal/catalog.js";
import { startBackupFixture, type BackupFixture } from "../backup/support.js";
import { promtoolProblems } from "../support/promtool.js";
import { writeTestConfig } from "../wal/support.js";

type CheckJson = { probes: { name: string; status: string; message: string }[] };

const drillReport = (finishedAt: Date, ok: boolean): DrillReport => ({
  format: "zops-drill-report",
  version: 1,
  id: makeDrillId(finishedAt),
  backup: "x",
  startedAt: finishedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  ok,
  checks: ok
    ? [{ name: "WAL replay", status: "pass", message: "replayed" }]
    : [{ name: "pg_amcheck", status: "fail", message: "heap corruption in app.messages" }],
  rto: { totalMs: 42_000, downloadMs: 20_000, replayMs: 20_000, firstQueryMs: 5 },
  rpo: { lastTransactionAt: finishedAt.toISOString(), seconds: 12 },
  replay: { reachedLsn: "0/5000000", newestArchivedSegment: "000000010000000000000005" },
  keptAt: undefined,
});

// The nightly-job probes of `zops check` (backup age, WAL chain, last drill) against a real cluster and repository.
describe("zops check: backup age, WAL chain and drill", () => {
  let fixture: BackupFixture;
  // The check's clock is injected: ages are set, never raced against the wall clock. Every state is also rendered
  // for Prometheus and must pass promtool.
  const check = async (
    thresholds: Record<string, number> = {},
    format: "nagios" | "json" = "nagios",
    now = new Date(),
  ) => {
    const config = await writeTestConfig(
      { url: fixture.config.config.repository.url },
      { postgres: fixture.cluster.postgresConfig, check: thresholds },
    );
    const run = (chosen: "nagios" | "json" | "prometheus") =>
      runCheck(
        { config: config.path, json: false, verbose: false },
        { format: chosen, only: "backup-age,wal-chain,drill" },
        { now: () => now },
      );
    const prometheus = await run("prometheus");
    expect(await promtoolProblems(prometheus.text ?? ""), prometheus.text).toEqual([]);
    const result = await run(format);
    expect(resultStatus(checkMeta.exits, prometheus)).toBe(resultStatus(checkMeta.exits, result));
    return result;
  };
  const hoursAfter = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3600_000);

  beforeAll(async () => {
    fixture = await startBackupFixture();
    await fixture.cluster.query("create table t (id int); insert into t select generate_series(1, 1000)");
  });
  afterAll(async () => fixture?.destroy());

  it("is CRITICAL without any backup and WARNING without any drill", async () => {
    const result = await check();
    expect(resultStatus(checkMeta.exits, result)).toBe(2);
    expect(result.text).toMatch(/^ZOPS CRITICAL - backup-age: no backup in the repository/);
    expect(result.text).toMatch(/drill: no restore drill has run/);
  });

  it("goes OK, then WARNING and CRITICAL as the last backup and drill age past the thresholds", async () => {
    const backup = await runBackup(fixture.globals, { type: "full" });
    expect(backup.outcome ?? "ok", backup.text).toBe("ok");
    const stoppedAt = (backup.json as { database: { stoppedAt: string } }).database.stoppedAt;
    await storeDrillReport(fixture.storage, drillReport(new Date(stoppedAt), true));
    const fresh = await check({ backupWarnHours: 2, backupCriticalHours: 4 }, "nagios", hoursAfter(stoppedAt, 1));
    expect(fresh.text).toMatch(/^ZOPS OK/);
    expect(resultStatus(checkMeta.exits, fresh)).toBe(0);

    const staleBackupWarn = await check(
      { backupWarnHours: 2, backupCriticalHours: 4 },
      "nagios",
      hoursAfter(stoppedAt, 3),
    );
    expect(resultStatus(checkMeta.exits, staleBackupWarn)).toBe(1);
    expect(staleBackupWarn.text).toMatch(/^ZOPS WARNING - backup-age: last backup \S+ \(full\) finished 3\.0 h ago/);
    const staleBackupCrit = await check(
      { backupWarnHours: 2, backupCriticalHours: 4 },
      "nagios",
      hoursAfter(stoppedAt, 5),
    );
    expect(resultStatus(checkMeta.exits, staleBackupCrit)).toBe(2);
    expect(staleBackupCrit.text).toMatch(/^ZOPS CRITICAL - backup-age: last backup \S+ \(full\) finished 5\.0 h ago/);

    // Only the newest report (by id) counts: store a newer one whose drill finished 10 days before the check.
    const checkedAt = hoursAfter(stoppedAt, 1);
    const newer = drillReport(new Date(Date.parse(stoppedAt) + 1000), true);
    await storeDrillReport(fixture.storage, {
      ...newer,
      finishedAt: new Date(checkedAt.getTime() - 10 * 86400_000).toISOString(),
    });
    const staleDrill = await check({}, "nagios", checkedAt);
    expect(resultStatus(checkMeta.exits, staleDrill)).toBe(1);
    expect(staleDrill.text).toMatch(/drill: last drill \S+ passed 10\.0 days ago/);
    const veryStale = await check({ drillWarnDays: 1, drillCriticalDays: 2 }, "nagios", checkedAt);
    expect(resultStatus(checkMeta.exits, veryStale)).toBe(2);
  });

  it("is CRITICAL when the last drill failed, naming the failed check", async () => {
    await storeDrillReport(fixture.storage, drillReport(new Date(Date.now() + 86400_000), false));
    const result = await check();
    expect(resultStatus(checkMeta.exits, result)).toBe(2);
    expect(result.text).toMatch(/drill: last drill \S+ FAILED: pg_amcheck: heap corruption in app\.messages/);
  });

  it("is CRITICAL naming the first missing segment when the WAL chain has a gap", async () => {
    for (let index = 0; index < 3; index += 1) {
      await fixture.cluster.query("insert into t select generate_series(1, 100)");
      await fixture.cluster.query("select pg_switch_wal()");
    }
    const storage = await openStorage(fixture.config.config);
    const wait = Date.now() + 60_000;
    let segments = segmentsOf(await listWal(storage));
    while (segments.length < 5 && Date.now() < wait) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      segments = segmentsOf(await listWal(storage));
    }
    const middle = segments.at(-2);
    expect(middle).toBeDefined();
    await storage.delete([middle?.key ?? ""]);
    const result = await check({}, "json");
    const probe = (result.json as CheckJson).probes.find((entry) => entry.name === "wal-chain");
    expect(probe).toMatchObject({ status: "critical", message: expect.stringContaining(`first ${middle?.name}`) });
    expect(resultStatus(checkMeta.exits, result)).toBe(2);
  });
});
