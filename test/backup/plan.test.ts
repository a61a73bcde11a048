import { describe, expect, it } from "vitest";
import { makeBackupId } from "../../src/backup/backup-id.js";
import { repositoryLockPath } from "../../src/lock/repository-lock.js";
import { groupChains } from "../../src/backup/chains.js";
import { isExcluded, unloggedRelationFiles } from "../../src/backup/exclusions.js";
import { decodeManifest, encodeManifest, type BackupManifest, type ManifestFile } from "../../src/backup/manifest.js";
import {
  BUNDLE_SIZE,
  fileDigest,
  isUnchanged,
  MTIME_MARGIN_MS,
  PIECE_SIZE,
  planBackup,
} from "../../src/backup/plan.js";
import type { FoundFile } from "../../src/backup/walk.js";
import { sha256Of } from "../../src/crypto/hash.js";

const found = (path: string, size: number, mtimeMs = 1_000_000): FoundFile => ({
  path,
  absolute: `/data/${path}`,
  size,
  mode: 0o600,
  mtimeMs,
});
const entry = (file: FoundFile, storedIn = "20260101T000000F"): ManifestFile => ({
  path: file.path,
  size: file.size,
  mode: file.mode,
  mtimeMs: file.mtimeMs,
  sha256: "x",
  storedIn,
  pieces: [],
});

describe("exclusions", () => {
  it.each([
    ["pg_wal/000000010000000000000001", true],
    ["pg_wal/zops-spool/fetch/x", true],
    ["pg_wal", false],
    ["postmaster.pid", true],
    ["base/1/postmaster.pid", false],
    ["pg_replslot/slot/state", true],
    ["pg_stat_tmp/global.stat", true],
    ["pg_subtrans/0000", true],
    ["base/pgsql_tmp/pgsql_tmp123.0", true],
    ["base/5/pg_internal.init", true],
    ["base/5/t3_16384", true],
    ["base/5/16384", false],
    ["backup_label", true],
    ["tablespace_map", true],
    ["global/pg_control", false],
    ["postgresql.auto.conf", false],
  ])("%s excluded: %s", (path, excluded) => {
    expect(isExcluded(path)).toBe(excluded);
  });

  it("excludes a configured spool directory inside the data directory", () => {
    expect(isExcluded("spool/x", ["spool"])).toBe(true);
    expect(isExcluded("spoolish", ["spool"])).toBe(false);
  });

  it("skips every fork but _init of unlogged relations", () => {
    expect([...unloggedRelationFiles(["100", "100_init", "100_fsm", "100.1", "200", "200_vm"])].sort()).toEqual([
      "100",
      "100.1",
      "100_fsm",
    ]);
  });
});

describe("planBackup", () => {
  it("bundles small files and cuts large ones into 16 MiB pieces, large pieces first", () => {
    const files = [
      found("a", 10),
      found("b", 0),
      found("big", PIECE_SIZE * 2 + 5),
      found("c", BUNDLE_SIZE - 5),
      found("d", 100),
    ];
    const plan = planBackup(files);
    expect(plan.copied).toHaveLength(5);
    expect(
      plan.jobs.map((job) =>
        job.pieces.map((piece) => `${plan.copied[piece.file]?.path}@${piece.offset}+${piece.length}`),
      ),
    ).toEqual([
      [`big@0+${PIECE_SIZE}`],
      [`big@${PIECE_SIZE}+${PIECE_SIZE}`],
      [`big@${PIECE_SIZE * 2}+5`],
      ["a@0+10"],
      [`c@0+${BUNDLE_SIZE - 5}`],
      ["d@0+100"],
    ]);
    expect(plan.jobs.map((job) => job.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(plan.copyBytes).toBe(PIECE_SIZE * 2 + 5 + 10 + BUNDLE_SIZE - 5 + 100);
  });

  it(
    "references a file only when size and mtime match and the mtime " +
      "is older than the previous start minus the margin",
    () => {
      const start = 10_000_000;
      const old = found("old", 8192, start - MTIME_MARGIN_MS - 1);
      const recent = found("recent", 8192, start - MTIME_MARGIN_MS + 1);
      expect(isUnchanged(old, entry(old), start)).toBe(true);
      expect(isUnchanged(recent, entry(recent), start)).toBe(false);
      expect(isUnchanged(old, { ...entry(old), size: 1 }, start)).toBe(false);
      expect(isUnchanged(old, { ...entry(old), mtimeMs: old.mtimeMs - 1 }, start)).toBe(false);
      expect(isUnchanged(old, undefined, start)).toBe(false);
      const previous = {
        files: [entry(old), entry(recent)],
        startedAt: new Date(start).toISOString(),
      } as unknown as BackupManifest;
      const plan = planBackup([old, recent, found("new", 5)], previous);
      expect(plan.referenced.map((file) => file.path)).toEqual(["old"]);
      expect(plan.copied.map((file) => file.path)).toEqual(["recent", "new"]);
    },
  );

  it("digests one piece as its SHA-256 and several as a hash list", () => {
    const one = sha256Of("piece");
    expect(fileDigest([])).toBe(sha256Of(""));
    expect(fileDigest([one])).toBe(one);
    expect(fileDigest([one, one])).toBe(sha256Of(Buffer.concat([Buffer.from(one, "hex"), Buffer.from(one, "hex")])));
  });
});

describe("manifest envelope", () => {
  const manifest = { format: 1, id: "20260101T000000F", files: [], objects: [] } as unknown as BackupManifest;

  it("round-trips and rejects any change", () => {
    const data = encodeManifest(manifest);
    expect(decodeManifest(data, "k")).toEqual(manifest);
    const tampered = Buffer.from(data.toString().replace("20260101T000000F", "20260101T000000I"));
    expect(() => decodeManifest(tampered, "backups/x/manifest.json")).toThrow(
      /unable to read manifest 'backups\/x\/manifest.json': checksum mismatch/,
    );
    expect(() => decodeManifest(Buffer.from("{"), "k")).toThrow(/not valid JSON/);
  });
});

describe("ids, locks and chains", () => {
  it("makes sortable ids and avoids clashes", () => {
    const now = new Date("2026-11-24T01:02:03.456Z");
    expect(makeBackupId("full", now)).toBe("20261124T010203F");
    expect(makeBackupId("incr", now, new Set(["20261124T010203I"]))).toBe("20261124T010203I-2");
  });

  it("puts the lock beside the data directory unless configured", () => {
    expect(
      repositoryLockPath({
        backup: { lockFile: undefined },
        postgres: { dataDir: "/var/lib/postgresql/15/main" },
      } as never),
    ).toBe("/var/lib/postgresql/15/.zops-backup.lock");
    expect(
      repositoryLockPath({ backup: { lockFile: "/run/zops/b.lock" }, postgres: { dataDir: "/x/y" } } as never),
    ).toBe("/run/zops/b.lock");
  });

  it("groups incrementals with their full and reports orphans", () => {
    const b = (id: string, type: "full" | "incr", full: string) => ({ id, type, full }) as BackupManifest;
    const { chains, orphans } = groupChains([
      b("1F", "full", "1F"),
      b("2I", "incr", "1F"),
      b("3F", "full", "3F"),
      b("4I", "incr", "0F"),
    ]);
    expect(chains.map((chain) => [chain.full.id, chain.incrementals.map((item) => item.id)])).toEqual([
      ["1F", ["2I"]],
      ["3F", []],
    ]);
    expect(orphans.map((item) => item.id)).toEqual(["4I"]);
  });
});
