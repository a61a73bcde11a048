import { segmentForLsn } from "../../src/pg/wal-segment.js";
import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meta as drillMeta, runDrill } from "../../src/commands/drill.js";
import { resultStatus } from "../../src/commands/exits.js";
import { latestDrillReport, type DrillReport } from "../../src/drill/report.js";
import { listAll } from "../../src/storage/read.js";
import { listWal, segmentsOf } from "../../src/wal/catalog.js";
import { parse, stringify } from "yaml";
import { testMajor } from "../support/pg-majors.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { makeFileRepository } from "../wal/support.js";
import { nightly, startDrillFixture, type DrillFixture } from "./support.js";

const drill = async (fixture: DrillFixture, extra: { identity?: string } = {}) => {
  const result = await runDrill(fixture.globals, { timeout: "120", ...extra });
  return {
    exitCode: resultStatus(drillMeta.exits, result),
    report: result.json as DrillReport,
    text: result.text ?? "",
  };
};
const check = (report: DrillReport, name: string) => report.checks.find((entry) => entry.name === name);

describe("zops drill on a file repository", () => {
  let fixture: DrillFixture;
  let repoDir: string;
  beforeAll(async () => {
    const repo = await makeFileRepository();
    repoDir = repo.dir;
    fixture = await startDrillFixture({ url: repo.url });
    const backup = await nightly(fixture);
    expect(backup.exitCode).toBe(0);
    expect(backup.json).toMatchObject({
      ok: true,
      failedParts: [],
      fingerprints: { tables: expect.any(Number) },
      uploads: { id: expect.any(String) },
      secrets: { id: expect.any(String) },
    });
    // Work after the backup: the drill must replay it from the archive.
    for (let round = 0; round < 3; round += 1) await fixture.writeAndArchive(500);
  });
  afterAll(async () => fixture?.destroy());

  it("passes on a healthy repository, replays to the newest archived segment and reports RTO and RPO", async () => {
    const { exitCode, report, text } = await drill(fixture, { identity: fixture.identityFile });
    expect(report.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "backup files", status: "pass" }),
        expect.objectContaining({ name: "data fingerprints", status: "pass" }),
        expect.objectContaining({ name: "WAL replay", status: "pass" }),
        expect.objectContaining({ name: "pg_amcheck", status: "pass" }),
        expect.objectContaining({ name: "uploads", status: "pass" }),
        expect.objectContaining({ name: "secrets", status: "pass" }),
      ]),
    );
    expect(exitCode).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.keptAt).toBeUndefined();
    const newest = segmentsOf(await listWal(fixture.storage)).at(-1)?.name;
    expect(report.replay.newestArchivedSegment).toBe(newest);
    // The segment named for the replay position is the one that position lies in (it once named another).
    const replay = /replayed to (\S+) \(in segment ([0-9A-F]{24})\)/.exec(check(report, "WAL replay")?.message ?? "");
    expect(replay?.[2]).toBe(segmentForLsn(replay?.[1] ?? "0/0", Number.parseInt(newest?.slice(0, 8) ?? "1", 16)));
    expect((replay?.[2] ?? "").slice(8) >= (newest ?? "").slice(8)).toBe(true);
    expect(report.rto.totalMs).toBeGreaterThan(0);
    expect(report.rto.downloadMs).toBeGreaterThan(0);
    expect(report.rto.replayMs).toBeGreaterThan(0);
    expect(report.rto.totalMs).toBeGreaterThanOrEqual(report.rto.downloadMs + report.rto.replayMs);
    expect(report.rpo.seconds).toBeGreaterThanOrEqual(0);
    expect(report.rpo.lastTransactionAt).toMatch(/^\d{4}-/);
    expect(text).toMatch(/PASSED/);
    expect(text).toMatch(/RTO .*download .*replay .*first query/);
    expect(await latestDrillReport(fixture.storage)).toMatchObject({ id: report.id, ok: true });
    // PostgreSQL 13 has no heap check (no verify_heapam): said as skipped with the reason, never as failed.
    if (testMajor() < 14)
      expect(check(report, "heap check")).toMatchObject({
        status: "skip",
        message: expect.stringMatching(/verify_heapam/),
      });
    else expect(check(report, "heap check")).toBeUndefined();
  });

  it("refuses before restoring anything, naming the tool, when pg_amcheck is missing (14 and later)", async () => {
    // Server binaries of the backup's major without pg_amcheck beside them, through postgres.binDirs.
    const major = testMajor();
    const binRoot = await makeTempDir("bin-without-amcheck");
    const cfgRoot = await makeTempDir("cfg-no-amcheck");
    try {
      const bin = join(binRoot, "bin");
      await mkdir(bin);
      for (const tool of ["initdb", "pg_ctl", "postgres"])
        await symlink(join(fixture.cluster.binDir, tool), join(bin, tool));
      const text = parse(await readFile(fixture.config.path, "utf8")) as { postgres: Record<string, unknown> };
      const path = join(cfgRoot, "zops.yml");
      await writeFile(path, stringify({ ...text, postgres: { ...text.postgres, binDirs: { [String(major)]: bin } } }));
      const result = await runDrill({ ...fixture.globals, config: path }, { timeout: "120" });
      const report = result.json as DrillReport;
      if (major < 14) {
        // 13 checks with the amcheck extension's functions: no tool needed
        expect(resultStatus(drillMeta.exits, result)).toBe(0);
        return;
      }
      expect(resultStatus(drillMeta.exits, result)).toBe(7);
      expect(check(report, "tools")).toMatchObject({
        status: "fail",
        message: expect.stringContaining(join(bin, "pg_amcheck")),
      });
      expect(check(report, "backup files")).toBeUndefined();
      expect(check(report, "WAL replay")).toBeUndefined();
      expect(check(report, "pg_amcheck")).toBeUndefined();
    } finally {
      await removeTempDir(binRoot);
      await removeTempDir(cfgRoot);
    }
  });

  it("fails naming the pack when an uploads pack is missing", async () => {
    const packs = (await listAll(fixture.storage, "uploads/packs/")).filter((key) => key.endsWith(".tar.zst"));
    expect(packs.length).toBeGreaterThan(0);
    const path = join(repoDir, packs[0] ?? "");
    await rename(path, `${path}.moved`);
    try {
      const { exitCode, report } = await drill(fixture);
      expect(exitCode).toBe(7);
      expect(report.ok).toBe(false);
      expect(check(report, "uploads")).toMatchObject({
        status: "fail",
        message: expect.stringContaining(packs[0] ?? "?"),
      });
      expect(check(report, "WAL replay")?.status).toBe("pass");
    } finally {
      await rename(`${path}.moved`, path);
    }
  });

  it("fails naming the file when one byte of a stored backup object is flipped", async () => {
    const data = (await listAll(fixture.storage, "backups/")).filter((key) => key.includes("/data/"));
    const largest = await Promise.all(
      data.map(async (key) => ({ key, size: (await fixture.storage.stat(key))?.size ?? 0 })),
    );
    const target = largest.sort((a, b) => b.size - a.size)[0]?.key ?? "";
    const path = join(repoDir, target);
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = (damaged[middle] ?? 0) ^ 0x01;
    await writeFile(path, damaged);
    try {
      const { exitCode, report } = await drill(fixture);
      expect(exitCode).toBe(7);
      expect(check(report, "backup files")).toMatchObject({
        status: "fail",
        message: expect.stringMatching(/checksum|damaged|corrupt/i),
      });
      expect(check(report, "WAL replay")).toBeUndefined();
    } finally {
      await writeFile(path, original);
    }
  });

  it("fails naming the segment when a WAL segment in the middle of the chain is deleted", async () => {
    const segments = segmentsOf(await listWal(fixture.storage));
    const middle = segments.at(-2);
    expect(middle).toBeDefined();
    const path = join(repoDir, middle?.key ?? "");
    await rename(path, `${path}.moved`);
    try {
      const { exitCode, report } = await drill(fixture);
      expect(exitCode).toBe(7);
      expect(report.ok).toBe(false);
      expect(check(report, "WAL replay")).toMatchObject({
        status: "fail",
        message: expect.stringContaining(middle?.name ?? "?"),
      });
    } finally {
      await rename(`${path}.moved`, path);
    }
  });

  it("keeps the stopped scratch cluster with --keep", async () => {
    const result = await runDrill(fixture.globals, { timeout: "120", keep: true });
    const report = result.json as DrillReport;
    expect(report.keptAt).toContain("zops-drill-");
    expect((await readFile(join(report.keptAt ?? "", "data", "PG_VERSION"), "utf8")).trim()).toBe(String(testMajor()));
    await rm(report.keptAt ?? "", { recursive: true, force: true });
  });
});
