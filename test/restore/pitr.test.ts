import { resultStatus } from "../../src/commands/exits.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runMark } from "../../src/commands/mark.js";
import { rename, stat } from "node:fs/promises";
import { listBackups } from "../../src/backup/manifest.js";
import { runBackups } from "../../src/commands/backups.js";
import { runRestore, meta as restoreMeta } from "../../src/commands/restore.js";
import { formatMicros, parseTargetTime } from "../../src/restore/target-time.js";
import { listAll } from "../../src/storage/read.js";
import { listWal, segmentsOf } from "../../src/wal/catalog.js";
import { waitArchived } from "../wal/support.js";
import { restoredServer, startBackupFixture, type BackupFixture } from "../backup/support.js";

// Point-in-time recovery: rows committed before the target are there, rows after it are not,
// for a time, a named restore point and an LSN; a target beyond the archived WAL is a failure.

let fixture: BackupFixture;
let targetTime = "";
let targetLsn = "";
let afterTwo = "";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  fixture = await startBackupFixture();
  await fixture.cluster.query("create table events (id int primary key, label text)");
  await runBackup(fixture.globals, { type: "full" });
  await fixture.cluster.query("insert into events values (1, 'before time')");
  await sleep(1200);
  targetTime = (await fixture.cluster.query<{ t: string }>("select clock_timestamp()::text as t"))[0]?.t ?? "";
  await sleep(1200);
  await fixture.cluster.query("insert into events values (2, 'before restore point')");
  afterTwo = (await fixture.cluster.query<{ t: string }>("select clock_timestamp()::text as t"))[0]?.t ?? "";
  await runMark(fixture.globals, "before-3");
  await fixture.cluster.query("select pg_create_restore_point('by-hand')");
  await fixture.cluster.query("insert into events values (3, 'before lsn')");
  targetLsn =
    (await fixture.cluster.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn"))[0]?.lsn ?? "";
  await fixture.cluster.query("insert into events values (4, 'after everything')");
  const [row] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
  await waitArchived(fixture.cluster, row?.name ?? "");
});

afterAll(async () => {
  await fixture?.destroy();
});

const restoreAndRead = async (
  label: string,
  options: { targetTime?: string; targetName?: string; targetLsn?: string; backup?: string },
) => {
  const server = await restoredServer(fixture.cluster, label);
  try {
    const result = await runRestore(fixture.globals, { to: server.dir, start: true, set: server.sets, ...options });
    const rows = await server.query<{ id: number }>("select id from events order by id");
    return {
      ids: rows.map((row) => row.id),
      recovery: (result.json as { recovery: { state: string; stoppedAt?: string } }).recovery,
    };
  } finally {
    await server.stop();
  }
};

describe("point-in-time restore", { timeout: 300_000 }, () => {
  it("stops at a time", async () => {
    const { ids, recovery } = await restoreAndRead("pitr-time", { targetTime });
    expect(ids).toEqual([1]);
    expect(recovery.state).toBe("promoted");
    expect(recovery.stoppedAt).toMatch(/recovery stopping before commit/);
  });

  it("stops at a named restore point", async () => {
    const { ids, recovery } = await restoreAndRead("pitr-name", { targetName: "before-3" });
    expect(ids).toEqual([1, 2]);
    expect(recovery.stoppedAt).toMatch(/restore point "before-3"/);
  });

  it("refuses a restore point zops did not record unless --backup names the backup to replay from", async () => {
    const error = await restoreAndRead("pitr-unrecorded", { targetName: "by-hand" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "PRECONDITION" });
    expect(String((error as Error).message)).toMatch(/restore point 'by-hand' \(not recorded/);
    const backup = (await runBackups(fixture.globals)).json as { backups: { id: string }[] };
    const { ids, recovery } = await restoreAndRead("pitr-by-hand", {
      targetName: "by-hand",
      backup: backup.backups[0]?.id,
    });
    expect(ids).toEqual([1, 2]);
    expect(recovery.stoppedAt).toMatch(/restore point "by-hand"/);
  });

  it("stops at an LSN", async () => {
    const { ids } = await restoreAndRead("pitr-lsn", { targetLsn });
    expect(ids).toEqual([1, 2, 3]);
  });

  it("fails, naming target and stop point, when PostgreSQL replays past the target", async () => {
    // A later recovery_target_time slipped in through --set: PostgreSQL replays past the zops target (row 2).
    const server = await restoredServer(fixture.cluster, "pitr-past");
    try {
      const error = await runRestore(fixture.globals, {
        to: server.dir,
        start: true,
        set: [...server.sets, `recovery_target_time=${afterTwo}`],
        targetTime,
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "VERIFY_FAILED" });
      const message = String((error as Error).message);
      expect(message).toContain(`recovery to time ${formatMicros(parseTargetTime(targetTime))}`);
      expect(message).toMatch(/replayed past the target|stopped before a commit at .* at or before the target/);
      expect(message).toMatch(/recovery stopping before commit/);
    } finally {
      await server.stop();
    }
  });

  it("restore --plan: the backup, WAL range, download and disk, every object present; writes nothing", async () => {
    const before = await listAll(fixture.storage, "");
    const server = await restoredServer(fixture.cluster, "pitr-plan");
    const result = await runRestore(fixture.globals, { to: server.dir, plan: true, targetName: "before-3" });
    const json = result.json as {
      ok: boolean;
      plan: {
        backup: { id: string };
        wal: { from: string; through: string; bound: string; segments: number };
        objects: { count: number };
        downloadBytes: number;
        diskNeeded: number;
        problems: string[];
      };
    };
    const [backup] = await listBackups(fixture.storage);
    expect(resultStatus(restoreMeta.exits, result)).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.plan).toMatchObject({
      backup: { id: backup?.id },
      wal: { from: backup?.walStart, bound: "exact" },
      objects: { count: backup?.objects.length },
      problems: [],
    });
    expect(json.plan.wal.segments).toBeGreaterThanOrEqual(1);
    expect(json.plan.downloadBytes).toBeGreaterThan(0);
    expect(json.plan.diskNeeded).toBeGreaterThan(backup?.sizes.database ?? 0);
    expect(await listAll(fixture.storage, "")).toEqual(before);
    await expect(stat(server.dir)).rejects.toMatchObject({ code: "ENOENT" });
    await server.stop(); // removes its (empty) directory
  });

  it("restore --plan: exit 4 naming why, for a target before every backup and for a missing segment", async () => {
    const early = await runRestore(fixture.globals, {
      to: "/nonexistent/x",
      plan: true,
      targetTime: "2001-01-01 00:00:00+00",
    });
    const [backup] = await listBackups(fixture.storage);
    expect(resultStatus(restoreMeta.exits, early)).toBe(4);
    expect(early.json).toMatchObject({ ok: false, refusal: { code: "PRECONDITION" } });
    expect(early.text).toContain(backup?.id);
    const segment = segmentsOf(await listWal(fixture.storage)).find((object) => object.name === backup?.walStart);
    const path = fixture.storage.pathOf?.(segment?.key ?? "") ?? "";
    await rename(path, `${path}.moved`);
    try {
      const missing = await runRestore(fixture.globals, { to: "/nonexistent/x", plan: true, targetLsn });
      expect(resultStatus(restoreMeta.exits, missing)).toBe(4);
      expect(missing.text).toMatch(new RegExp(`PROBLEM: WAL segment ${backup?.walStart} is missing`));
    } finally {
      await rename(`${path}.moved`, path);
    }
  });

  it("zops mark records each name once, refuses a malformed one, and zops backups lists the marks", async () => {
    await expect(runMark(fixture.globals, "before-3")).rejects.toMatchObject({ code: "PRECONDITION" });
    await expect(runMark(fixture.globals, "no spaces")).rejects.toMatchObject({ code: "USAGE" });
    const listed = (await runBackups(fixture.globals)).json as { restorePoints: { name: string; lsn: string }[] };
    expect(listed.restorePoints.map((mark) => mark.name)).toEqual(["before-3"]);
  });

  it("fails when the target lies beyond the archived WAL", async () => {
    const server = await restoredServer(fixture.cluster, "pitr-short");
    try {
      const error = await runRestore(fixture.globals, {
        to: server.dir,
        start: true,
        set: server.sets,
        targetLsn: "FF/0",
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "VERIFY_FAILED" });
      expect(String((error as Error).message)).toMatch(/replay stopped short of the recovery target/);
    } finally {
      await server.stop();
    }
  });
});
