import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBackups } from "../../src/backup/manifest.js";
import { startBackupFixture, type BackupFixture } from "../backup/support.js";
import { makeTempDir } from "../support/temp.js";
import { runZops } from "../wal/support.js";

// restore, verify and drill read the repository under the runner's shared lock: a backup's retention defers and
// `zops expire` refuses while one reads, instead of deleting the backup under it. The restore is held at the
// runner's pause point (ZOPS_TEST_PAUSE_AT), so nothing races.

let fixture: BackupFixture;
const zops = (args: string[], env: Record<string, string> = {}) =>
  runZops(["--config", fixture.config.path, ...args], { env: { ZOPS_QUIET: "1", ...env } });

beforeAll(async () => {
  fixture = await startBackupFixture({ backup: { retention: { full: 1 } } });
  await fixture.cluster.query("create table t as select g from generate_series(1, 1000) g");
});

afterAll(async () => {
  await fixture?.destroy();
});

const until = async (path: string): Promise<void> => {
  while (
    !(await access(path).then(
      () => true,
      () => false,
    ))
  )
    await new Promise((resolve) => setTimeout(resolve, 20));
};

describe("the repository's shared lock", { timeout: 300_000 }, () => {
  it("keeps retention from deleting the backup a restore is reading", async () => {
    const first = await zops(["--json", "backup", "--type", "full"]);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const firstId = JSON.parse(String(first.stdout)).result.database.id as string;

    const pauses = await makeTempDir("pauses", { forPostgres: false });
    const target = join(await makeTempDir("restore-target"), "data");
    const restore = zops(["restore", "--backup", firstId, "--to", target], {
      ZOPS_TEST_PAUSE_AT: `restore.locked:${pauses}`,
    });
    await until(join(pauses, "restore.locked.paused"));

    // retention.full = 1: the second full backup would expire the first, which the restore reads.
    const second = await zops(["--json", "backup", "--type", "full"]);
    expect(second.exitCode, String(second.stderr)).toBe(0);
    const expire = JSON.parse(String(second.stdout)).result.expire as { applied: boolean; skipped: string };
    expect(expire.applied).toBe(false);
    expect(expire.skipped).toMatch(/being read by 'zops .*restore --backup .*' \(pid \d+/);
    expect((await listBackups(fixture.storage)).map((backup) => backup.id)).toContain(firstId);

    const refused = await zops(["expire"]);
    expect(refused.exitCode).toBe(5);
    expect(String(refused.stderr)).toMatch(/LOCK_HELD.*being read by 'zops .*restore --backup/);
    expect((await listBackups(fixture.storage)).map((backup) => backup.id)).toContain(firstId);

    await writeFile(join(pauses, "restore.locked.resume"), "");
    const restored = await restore;
    expect(restored.exitCode, String(restored.stderr)).toBe(0);

    const expired = await zops(["--json", "expire"]);
    expect(expired.exitCode, String(expired.stderr)).toBe(0);
    expect(JSON.parse(String(expired.stdout)).result.expiredBackups).toEqual([firstId]);
  });
});
