import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meta as drillMeta, runDrill } from "../../src/commands/drill.js";
import { resultStatus } from "../../src/commands/exits.js";
import type { DrillReport } from "../../src/drill/report.js";
import { writeMarker } from "../../src/repo/repository.js";
import { openStorage } from "../../src/storage/open.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { nightly, startDrillFixture, type DrillFixture } from "./support.js";

// The nightly job and a drill against an S3 repository (s3rver in its own process on loopback).
describe("zops drill on an S3 repository", () => {
  let s3: TestS3Server;
  let fixture: DrillFixture;
  beforeAll(async () => {
    s3 = await startS3Server();
    const storage = await openStorage({
      repository: { ...s3.repositoryConfig },
      storage: { timeoutSeconds: 10, retries: 1, retryDelayMs: 100 },
    });
    await writeMarker(storage);
    fixture = await startDrillFixture({ ...s3.repositoryConfig }, { ...s3.env });
    const backup = await nightly(fixture);
    expect(backup.json).toMatchObject({ ok: true, failedParts: [] });
    await fixture.writeAndArchive(300);
  });
  afterAll(async () => {
    await fixture?.destroy();
    await s3?.destroy();
  });

  it("passes on a healthy repository and reports RTO and RPO", async () => {
    const result = await runDrill(fixture.globals, { timeout: "120" });
    const report = result.json as DrillReport;
    expect(report.checks.filter((check) => check.status === "fail")).toEqual([]);
    expect(report.checks.map((check) => `${check.name}:${check.status}`)).toEqual(
      expect.arrayContaining([
        "backup files:pass",
        "data fingerprints:pass",
        "WAL replay:pass",
        "pg_amcheck:pass",
        "uploads:pass",
        "secrets:pass",
      ]),
    );
    expect(resultStatus(drillMeta.exits, result)).toBe(0);
    expect(report.rto.totalMs).toBeGreaterThan(0);
    expect(report.rpo.seconds).toBeGreaterThanOrEqual(0);
  });
});
