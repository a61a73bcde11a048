import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { buildReportModel } from "../../src/report/model.js";
import { parseUpgradeLog } from "../../src/report/upgrade-history.js";
import { formatSegmentName } from "../../src/pg/wal-segment.js";

// The report's recovery window against an oracle: generated archives (segments one minute apart, some missing) and
// backups; a backup is restorable iff every segment from its start to its stop is archived, and it recovers to the
// last segment of the unbroken run that follows.
const T0 = Date.parse("2026-11-01T00:00:00Z");
const name = (segno: number) => formatSegmentName(1, BigInt(segno));
const at = (segno: number) => new Date(T0 + segno * 60_000);

const backup = (start: number, id: string): BackupManifest =>
  ({
    id,
    type: "full",
    startedAt: at(start).toISOString(),
    stoppedAt: new Date(at(start).getTime() + 30_000).toISOString(),
    walStart: name(start),
    walStop: name(start + 1),
    walSegmentSize: 16 * 1024 * 1024,
    sizes: { database: 1000, copied: 1000, stored: 100, storedTotal: 100 },
  }) as BackupManifest;

describe("report model", () => {
  it("restorable ranges and WAL gaps match an oracle over generated archives", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 3, maxLength: 60 }),
        fc.uniqueArray(fc.nat({ max: 57 }), { minLength: 1, maxLength: 5 }),
        (present, starts) => {
          const segments = present.flatMap((kept, segno) => (kept ? [{ name: name(segno), storedAt: at(segno) }] : []));
          const backups = starts
            .filter((start) => start + 1 < present.length)
            .map((start) => backup(start, `b${start}`));
          const model = buildReportModel(
            {
              repository: "mem://",
              backups,
              segments,
              drills: [],
              retention: { full: 2 },
              upgrades: [],
              upgradeLog: "",
            },
            at(present.length + 5),
          );
          for (const row of model.backups) {
            const start = Number(row.id.slice(1));
            const restorable = present[start] === true && present[start + 1] === true;
            expect(row.recoverable !== undefined, row.id).toBe(restorable);
            if (!restorable) continue;
            let end = start + 1;
            while (present[end + 1]) end += 1;
            expect(row.recoverable?.to).toEqual(at(end));
            expect(row.recoverable?.from).toEqual(row.stoppedAt);
          }
          const oldest = Math.min(...backups.map((entry) => Number(entry.id.slice(1))));
          const kept = present.map((value, segno) => (segno >= oldest ? value : undefined));
          const firstKept = kept.findIndex((value) => value === true);
          const lastKept = kept.lastIndexOf(true);
          let runs = 0;
          for (let segno = firstKept + 1; firstKept >= 0 && segno < lastKept; segno += 1)
            if (!present[segno] && present[segno - 1]) runs += 1;
          expect(model.gaps).toHaveLength(backups.length === 0 ? 0 : runs);
          for (let index = 1; index < model.coverage.length; index += 1)
            expect(model.coverage[index]?.from.getTime()).toBeGreaterThan(model.coverage[index - 1]?.to.getTime() ?? 0);
        },
      ),
    );
  });

  it("reads upgrades, rollbacks and their downtime from the upgrade log's lines", () => {
    const log = [
      "2026-11-02T10:00:00.000Z upgrade[41]: zops upgrade /tmp/a.tar.gz (no options)",
      "2026-11-02T10:00:05.000Z upgrade[41]: upgraded demo-app (none) -> 1.0.0 (deployments/2026-11-02-10-00-01)",
      "2026-11-02T10:00:05.000Z upgrade[41]: downtime: 850 ms (stop to healthy)",
      "2026-11-03T10:00:05.000Z upgrade[42]: upgrade 1.0.0 -> 3.0.0 failed and was rolled back: health check failed",
      "2026-11-03T10:00:05.000Z upgrade[42]: step timings",
      "2026-11-04T10:00:05.000Z upgrade[43]: upgraded demo-app 1.0.0 -> 2.0.0 (deployments/2026-11-04-10-00-01)",
      "2026-11-04T10:00:05.000Z upgrade[43]: downtime: 3 min 4 s (stop to healthy)",
      "2026-11-05T10:00:05.000Z rollback[44]: rolled back demo-app 2.0.0 -> 1.0.0",
      "2026-11-05T10:00:05.000Z rollback[44]: downtime: 1.5 s (stop to healthy)",
    ].join("\n");
    expect(parseUpgradeLog(log)).toEqual([
      expect.objectContaining({ kind: "upgrade", from: "(none)", to: "1.0.0", outcome: "ok", downtimeMs: 850 }),
      expect.objectContaining({ kind: "upgrade", from: "1.0.0", to: "3.0.0", outcome: "rolled back" }),
      expect.objectContaining({ kind: "upgrade", from: "1.0.0", to: "2.0.0", outcome: "ok", downtimeMs: 184_000 }),
      expect.objectContaining({ kind: "rollback", from: "2.0.0", to: "1.0.0", outcome: "ok", downtimeMs: 1500 }),
    ]);
  });
});
