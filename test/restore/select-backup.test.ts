import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { isZopsError } from "../../src/errors/index.js";
import { proveTargetReached } from "../../src/restore/prove-target.js";
import { selectBackup } from "../../src/restore/select-backup.js";
import { consistencyPoint, resolveTargetPoint } from "../../src/restore/target-point.js";
import { formatMicros, parseMicros, parseTargetTime } from "../../src/restore/target-time.js";
import { makeMark } from "../../src/restore/marks.js";

// Pure parts of point-in-time restore: timestamps at microsecond precision, the backup selection (generated backup
// histories and targets), and the proof over PostgreSQL's own words.

const hex = (value: bigint) =>
  `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
const T0 = parseMicros("2026-11-23T10:00:00Z") as bigint;

const backup = (index: number, stopLsn: bigint, stopTime: bigint): BackupManifest =>
  ({
    id: `20261123T10${String(index).padStart(4, "0")}${index % 3 === 0 ? "F" : "I"}`,
    type: index % 3 === 0 ? "full" : "incr",
    full: "x",
    stopLsn: hex(stopLsn),
    stoppedAt: new Date(Number((stopTime + 1500n) / 1000n)).toISOString(),
    stopTime: formatMicros(stopTime),
  }) as unknown as BackupManifest;

describe("timestamps", () => {
  it("parses PostgreSQL's and ISO forms to the microsecond, with the offset applied", () => {
    expect(parseMicros("2026-11-23 10:00:00.123456+00")).toBe(T0 + 123_456n);
    expect(parseMicros("2026-11-23T12:00:00.5+02")).toBe(T0 + 500_000n);
    expect(parseMicros("2026-11-23 04:30:00-05:30")).toBe(T0);
    expect(parseMicros("2026-11-23T10:00Z")).toBe(T0);
    expect(formatMicros(T0 + 7n)).toBe("2026-11-23T10:00:00.000007Z");
  });

  it("refuses a target time without an offset (PostgreSQL would read it in the restored cluster's zone)", () => {
    expect(() => parseTargetTime("2026-11-23 10:00:00")).toThrow(/with a UTC offset/);
  });

  it("round-trips any instant", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 4_000_000_000_000_000n }), (micros) => {
        expect(parseMicros(formatMicros(micros))).toBe(micros);
      }),
    );
  });
});

describe("backup selection", () => {
  // A history: backups with increasing consistency points, and a target somewhere in it.
  const history = fc
    .array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 10_000_000 })), {
      minLength: 1,
      maxLength: 12,
    })
    .map((steps) => {
      let lsn = 0x3000000n;
      let time = T0;
      return steps.map(([lsnStep, timeStep], index) => {
        lsn += BigInt(lsnStep) * 1024n;
        time += BigInt(timeStep);
        return backup(index, lsn, time);
      });
    });

  it("picks the newest backup consistent at or before a time or LSN target, and refuses when none is", () => {
    fc.assert(
      fc.property(history, fc.bigInt({ min: 0n, max: 130_000_000n }), fc.boolean(), (backups, offset, byTime) => {
        const target = byTime
          ? { time: formatMicros(T0 + offset), action: "promote" as const }
          : { lsn: hex(0x3000000n + offset * 8n), action: "promote" as const };
        const point = resolveTargetPoint(target, []);
        const consistent = backups.filter((manifest) =>
          byTime
            ? consistencyPoint(manifest).time <= (point.time as bigint)
            : consistencyPoint(manifest).lsn <= (point.lsn as bigint),
        );
        let chosen: BackupManifest | undefined;
        try {
          chosen = selectBackup(backups, point, { location: "mem://" });
        } catch (error) {
          expect(isZopsError(error, "PRECONDITION")).toBe(true);
          expect(consistent).toEqual([]);
          expect(String((error as Error).message)).toContain(backups[0]?.id);
          return;
        }
        expect(chosen).toBe(consistent.at(-1));
        // An explicit --backup after the target is refused; one at or before it is taken as asked.
        for (const manifest of backups) {
          const pick = () => selectBackup(backups, point, { location: "mem://", explicit: manifest.id });
          if (consistent.includes(manifest)) expect(pick()).toBe(manifest);
          else expect(pick).toThrow(/became consistent after the recovery target/);
        }
      }),
    );
  });

  it("selects by a recorded restore point's LSN, and refuses an unrecorded name without --backup", () => {
    const backups = [backup(0, 0x3000100n, T0 + 10n), backup(1, 0x4000100n, T0 + 20n)];
    const mark = makeMark({
      name: "before-upgrade",
      lsn: "0/3500000",
      time: formatMicros(T0 + 15n),
      timeline: 1,
      systemIdentifier: "1",
      pgVersion: 15,
    });
    const recorded = resolveTargetPoint({ name: "before-upgrade", action: "promote" }, [mark]);
    expect(selectBackup(backups, recorded, { location: "mem://" })).toBe(backups[0]);
    const unknown = resolveTargetPoint({ name: "by-hand", action: "promote" }, [mark]);
    expect(() => selectBackup(backups, unknown, { location: "mem://", marks: [mark] })).toThrow(
      /not recorded by zops mark/,
    );
    expect(selectBackup(backups, unknown, { location: "mem://", explicit: backups[1]?.id })).toBe(backups[1]);
  });
});

describe("proof of the stop point", () => {
  const manifest = backup(0, 0x3000100n, T0);
  const target = resolveTargetPoint({ time: formatMicros(T0 + 1_000_000n), action: "promote" }, []);
  const line = (micros: bigint) =>
    `recovery stopping before commit of transaction 750, time ${formatMicros(micros).replace("T", " ")}`;

  it("accepts a stop before the first commit after the target", () => {
    expect(() =>
      proveTargetReached(manifest, target, {
        stoppingLine: line(T0 + 2_000_000n),
        replayLsn: "0/3000200",
        lastCommitTime: formatMicros(T0 + 900_000n),
      }),
    ).not.toThrow();
  });

  it("refuses data from after the target: a later backup, a later replayed commit, a stop too early", () => {
    // The reported bug: replayed from a backup taken after the target; PostgreSQL's line looks normal.
    const late = backup(1, 0x5000000n, T0 + 5_000_000n);
    expect(() =>
      proveTargetReached(late, target, { stoppingLine: line(T0 + 6_000_000n), replayLsn: "0/5000100" }),
    ).toThrow(/recovery to time .* replayed from backup .* which already holds data from after the target/);
    expect(() =>
      proveTargetReached(manifest, target, {
        stoppingLine: line(T0 + 3_000_000n),
        lastCommitTime: formatMicros(T0 + 2_000_000n),
      }),
    ).toThrow(/replayed past the target/);
    expect(() => proveTargetReached(manifest, target, { stoppingLine: line(T0 + 500_000n) })).toThrow(
      /at or before the target/,
    );
  });

  it("refuses a stop at an earlier restore point of the same name", () => {
    const mark = makeMark({
      name: "x",
      lsn: "0/3500000",
      time: formatMicros(T0),
      timeline: 1,
      systemIdentifier: "1",
      pgVersion: 15,
    });
    const point = resolveTargetPoint({ name: "x", action: "promote" }, [mark]);
    const facts = { stoppingLine: `recovery stopping at restore point "x", time ${formatMicros(T0)}` };
    expect(() => proveTargetReached(manifest, point, { ...facts, replayLsn: "0/3400000" })).toThrow(
      /earlier restore point of the same name/,
    );
    expect(() => proveTargetReached(manifest, point, { ...facts, replayLsn: "0/3500000" })).not.toThrow();
  });
});
