import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryLockPath } from "../../src/lock/repository-lock.js";
import { runZops } from "../wal/support.js";
import { startBackupFixture, type BackupFixture } from "../backup/support.js";

// The backup commands through the bundled CLI: JSON output, text tables, exit codes, the lock.

let fixture: BackupFixture;
const zops = (args: string[]) => runZops(["--config", fixture.config.path, ...args], { env: { ZOPS_QUIET: "1" } });

beforeAll(async () => {
  fixture = await startBackupFixture();
  await fixture.cluster.query("create table t as select g from generate_series(1, 1000) g");
});

afterAll(async () => {
  await fixture?.destroy();
});

describe("zops backup / backups / expire / verify / restore (CLI)", { timeout: 300_000 }, () => {
  let id = "";

  it("an incremental with nothing to build on becomes a full, and --json says so", async () => {
    const result = await zops(["--json", "backup", "--type", "incr"]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const json = JSON.parse(String(result.stdout)).result as {
      ok: boolean;
      database: { id: string; type: string; note: string; walStart: string };
      expire: { applied: boolean };
    };
    expect(json.ok).toBe(true);
    expect(json.database.type).toBe("full");
    expect(json.database.note).toMatch(/no earlier backup/);
    expect(json.expire.applied).toBe(true);
    id = json.database.id;
    expect(id).toMatch(/^\d{8}T\d{6}F$/);
  });

  it("lists and shows backups", async () => {
    const list = await zops(["backups"]);
    expect(list.exitCode).toBe(0);
    expect(String(list.stdout)).toContain(id);
    // The window as times at both ends (the end was a segment name).
    expect(String(list.stdout)).toMatch(
      /recovery window: from \d{4}-\d\d-\d\dT[\d:.]+Z \(LSN [0-9A-F]+\/[0-9A-F]+\) to \d{4}-\d\d-\d\dT[\d:.]+Z \(/,
    );
    const show = await zops(["--json", "backups", id]);
    expect(show.exitCode).toBe(0);
    expect((JSON.parse(String(show.stdout)).result as { id: string; files: number }).files).toBeGreaterThan(100);
    const missing = await zops(["backups", "20000101T000000F"]);
    expect(missing.exitCode).toBe(12);
    expect(String(missing.stderr)).toContain("backup '20000101T000000F' does not exist");
  });

  it("verify and expire --dry-run succeed on a healthy repository", async () => {
    const verify = await zops(["--json", "verify"]);
    expect(verify.exitCode, String(verify.stderr)).toBe(0);
    expect((JSON.parse(String(verify.stdout)).result as { ok: boolean }).ok).toBe(true);
    const expire = await zops(["--json", "expire", "--dry-run"]);
    expect(expire.exitCode).toBe(0);
    expect(JSON.parse(String(expire.stdout)).result).toMatchObject({ dryRun: true, kept: [id], expiredBackups: [] });
  });

  it("refuses to run while another backup holds the lock (exit 5)", async () => {
    const lock = repositoryLockPath(fixture.config.config);
    await writeFile(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        startedAt: new Date().toISOString(),
        command: "zops backup",
      }),
    );
    try {
      const result = await zops(["backup"]);
      expect(result.exitCode).toBe(5);
      expect(String(result.stderr)).toMatch(/is held by 'zops backup'/);
    } finally {
      const { rm } = await import("node:fs/promises");
      await rm(lock, { force: true });
    }
  });

  it("rejects conflicting recovery targets (exit 64)", async () => {
    const result = await zops(["restore", "--to", "/tmp/never", "--target-lsn", "0/1", "--target-name", "x"]);
    expect(result.exitCode).toBe(64);
    expect(String(result.stderr)).toContain("at most one of --target-time");
  });
});
