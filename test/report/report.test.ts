import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runDrills } from "../../src/commands/drills.js";
import { runReport } from "../../src/commands/report.js";
import { runUpgrade } from "../../src/commands/upgrade.js";
import { makeDrillId, storeDrillReport, type DrillReport } from "../../src/drill/report.js";
import { renderPage } from "../../scripts/lib/render-page.js";
import { startBackupFixture, type BackupFixture } from "../backup/support.js";
import { decodePng, inkOf } from "../support/png.js";
import { makeTempDir } from "../support/temp.js";
import { createDemoEnv, freshCatalog, type DemoEnv } from "../upgrade/demo-env.js";
import { generateSegments, waitArchived } from "../wal/support.js";

// `zops report --html` and `zops drills` over a real repository: two backups, archived WAL, stored drill reports
// (one passed, one failed), and the upgrade log of two real upgrades of the demo application. The page is opened in
// headless Chromium (Debian package chromium, driven by playwright-core) with and without JavaScript: no console
// error, no request for anything outside the file, a screenshot that is not blank.
const drill = (finishedAt: Date, ok: boolean, backup: string): DrillReport => ({
  format: "zops-drill-report",
  version: 1,
  id: makeDrillId(finishedAt),
  backup,
  startedAt: new Date(finishedAt.getTime() - 40_000).toISOString(),
  finishedAt: finishedAt.toISOString(),
  ok,
  checks: ok
    ? [{ name: "WAL replay", status: "pass", message: "replayed" }]
    : [{ name: "pg_amcheck", status: "fail", message: "heap corruption in app.messages" }],
  rto: { totalMs: ok ? 42_000 : 61_000, downloadMs: 20_000, replayMs: 20_000, firstQueryMs: 5 },
  rpo: { lastTransactionAt: finishedAt.toISOString(), seconds: ok ? 12 : 30 },
  replay: { reachedLsn: "0/5000000", newestArchivedSegment: "000000010000000000000005" },
  keptAt: undefined,
});

describe("zops report and zops drills", () => {
  let fixture: BackupFixture;
  let demo: DemoEnv;
  let out: string;
  let firstBackup: { id: string; stoppedAt: string };
  const report = (html?: string) =>
    runReport(
      { json: true, verbose: false },
      { html },
      { config: { ...fixture.config.config, deploy: demo.config.deploy } },
    );

  beforeAll(async () => {
    fixture = await startBackupFixture();
    out = await makeTempDir("report", { forPostgres: false });
    await fixture.cluster.query("create table t (id int); insert into t select generate_series(1, 5000)");
    const full = await runBackup(fixture.globals, { type: "full" });
    expect(full.outcome ?? "ok", full.text).toBe("ok");
    firstBackup = (full.json as { database: { id: string; stoppedAt: string } }).database;
    await waitArchived(fixture.cluster, (await generateSegments(fixture.cluster, 3)).at(-1) ?? "");
    const incr = await runBackup(fixture.globals, { type: "incr" });
    expect(incr.outcome ?? "ok", incr.text).toBe("ok");
    await waitArchived(fixture.cluster, (await generateSegments(fixture.cluster, 3)).at(-1) ?? "");
    const stopped = Date.parse(firstBackup.stoppedAt);
    await storeDrillReport(fixture.storage, drill(new Date(stopped + 60_000), true, firstBackup.id));
    await storeDrillReport(fixture.storage, drill(new Date(stopped + 120_000), false, firstBackup.id));
    demo = await createDemoEnv({ cluster: fixture.cluster });
    for (const tarball of [demo.releases.v1, demo.releases.v2]) {
      const result = await runUpgrade(
        { json: true, verbose: false },
        tarball,
        { yes: true },
        { config: demo.config, catalog: freshCatalog },
      );
      expect(result.outcome ?? "ok").toBe("ok");
    }
  }, 240_000);

  afterAll(async () => {
    await demo?.destroy();
    await fixture?.destroy();
  });

  it("zops drills lists every stored drill with result, RTO and RPO", async () => {
    const result = await runDrills(fixture.globals);
    expect(result.text).toMatch(/passed\s+42\.0 s\s+12\.0 s\s+-/);
    expect(result.text).toMatch(/FAILED\s+1 min 1 s\s+30\.0 s\s+pg_amcheck/);
    const json = result.json as { drills: { ok: boolean; rtoMs: number }[] };
    expect(json.drills.map((entry) => [entry.ok, entry.rtoMs])).toEqual([
      [true, 42_000],
      [false, 61_000],
    ]);
  });

  it("reports the recovery window, backups, drills and upgrades, and the page renders in Chromium", async () => {
    const file = join(out, "report.html");
    const result = await report(file);
    const json = result.json as {
      recoveryWindow: { from: string; to: string };
      gaps: unknown[];
      backups: { id: string; type: string; recoverable?: unknown }[];
      rto: { last: number; max: number };
      upgrades: { kind: string; from: string; to: string; outcome: string; downtimeMs?: number }[];
    };
    expect(json.recoveryWindow.from).toBe(firstBackup.stoppedAt);
    expect(Date.parse(json.recoveryWindow.to)).toBeGreaterThan(Date.parse(firstBackup.stoppedAt));
    expect(json.gaps).toEqual([]);
    expect(json.backups.map((backup) => backup.type)).toEqual(["full", "incr"]);
    expect(json.backups.every((backup) => backup.recoverable !== undefined)).toBe(true);
    expect(json.rto).toMatchObject({ last: 61_000, max: 61_000 });
    expect(json.upgrades).toEqual([
      expect.objectContaining({ kind: "upgrade", from: "(none)", to: "1.0.0", outcome: "ok" }),
      expect.objectContaining({ kind: "upgrade", from: "1.0.0", to: "2.0.0", outcome: "ok" }),
    ]);
    for (const upgrade of json.upgrades) expect(upgrade.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(result.text).toMatch(/^recovery window: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC to /);
    expect(result.text).toContain(`wrote ${file}`);

    for (const javaScript of [true, false]) {
      const page = await renderPage(file, { javaScript });
      expect(page.problems).toEqual([]);
      expect(page.requests).toEqual([]);
      expect(page.text).toMatch(/Restorable to any moment from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      expect(page.text).toContain("The last restore drill");
      expect(page.text).toMatch(/upgrade\s+1\.0\.0 → 2\.0\.0\s+done/);
      const pixels = decodePng(page.png);
      const ink = inkOf(pixels);
      expect(pixels.width).toBeGreaterThanOrEqual(1000);
      expect(ink.colors).toBeGreaterThan(50);
      expect(ink.inked).toBeGreaterThan(0.03);
    }
  }, 120_000);

  it("shows a gap in the WAL archive: the backups before it recover only up to it", async () => {
    const before = (await report()).json as { backups: { recoverable?: { to: string } }[] };
    const names = await generateSegments(fixture.cluster, 3);
    await waitArchived(fixture.cluster, names.at(-1) ?? "");
    const victim = names[0] ?? "";
    const keys: string[] = [];
    for await (const info of fixture.storage.list(`wal/`)) if (info.key.includes(`/${victim}-`)) keys.push(info.key);
    expect(keys).toHaveLength(1);
    await fixture.storage.delete(keys);
    const file = join(out, "gap.html");
    const json = (await report(file)).json as {
      gaps: { firstMissing: string; missing: number }[];
      backups: { recoverable?: { to: string } }[];
    };
    expect(json.gaps).toEqual([expect.objectContaining({ firstMissing: victim, missing: 1 })]);
    expect(json.backups.map((backup) => backup.recoverable?.to)).toEqual(
      before.backups.map((backup) => backup.recoverable?.to),
    );
    const page = await renderPage(file, { javaScript: false });
    if (process.env.ZOPS_REPORT_PNG) await writeFile(process.env.ZOPS_REPORT_PNG, page.png);
    expect(page.problems).toEqual([]);
    expect(page.text).toContain(`1 WAL segment(s) missing from ${victim}`);
  }, 120_000);
});
