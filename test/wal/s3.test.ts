import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMarker } from "../../src/repo/repository.js";
import { listWal, segmentsOf } from "../../src/wal/catalog.js";
import { walFetch } from "../../src/wal/fetch.js";
import { copyBaseBackup } from "../support/base-backup.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir } from "../support/temp.js";
import {
  archiveCommand,
  generateSegments,
  restoreCommand,
  runZops,
  storageOf,
  waitArchived,
  waitRecoveryOutcome,
  writeTestConfig,
  type WalTestConfig,
} from "./support.js";

// The same WAL path against S3 (s3rver on loopback): 50+ segments archived and fetched back byte-identical,
// S3 stopped mid-push (PostgreSQL retries, nothing lost after it returns), recovery through restore_command.
describe("wal-push / wal-fetch with an S3 repository", () => {
  let s3: TestS3Server;
  let source: TestCluster;
  let config: WalTestConfig;
  let baseBackup: string;
  const segments: string[] = [];
  const clusters: TestCluster[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    config = await writeTestConfig(s3.repositoryConfig, { wal: { pushAhead: 8, prefetch: 8 } });
    await writeMarker(await storageOf(config));
    source = await startCluster({
      env: { ...s3.env },
      settings: {
        archive_mode: "on",
        archive_command: archiveCommand(config),
        wal_keep_size: "'2GB'",
        max_wal_size: "'2GB'",
      },
    });
    clusters.push(source);
    segments.push(...(await generateSegments(source, 45)));
    baseBackup = join(await makeTempDir("base"), "data"); // late: recovery replays the last ~10 segments
    await copyBaseBackup(source, baseBackup);
    segments.push(...(await generateSegments(source, 6)));
  }, 240_000);

  afterAll(async () => {
    for (const cluster of clusters) await cluster.destroy();
    await s3?.destroy();
  });

  const fetchAllIdentical = async (names: readonly string[]): Promise<void> => {
    const target = join(await makeTempDir("fetch"), "data");
    await mkdir(join(target, "pg_wal"), { recursive: true });
    for (const name of names) {
      const dest = join(target, "pg_wal", "RECOVERYXLOG");
      await walFetch(config.config, name, dest); // in-process: see archive-restore.test.ts
      const [fetched, original] = await Promise.all([readFile(dest), readFile(join(source.dataDir, "pg_wal", name))]);
      expect(fetched.equals(original), name).toBe(true);
    }
  };

  it("archives 50+ segments with failed_count 0 and fetches every one back byte-identical", async () => {
    const stats = await waitArchived(source, segments.at(-1) ?? "", 180_000);
    expect(Number(stats.failed_count)).toBe(0);
    const archived = new Set(segmentsOf(await listWal(await storageOf(config))).map((object) => object.name));
    for (const name of segments) expect(archived.has(name), name).toBe(true);
    await fetchAllIdentical(segments);
  });

  it("S3 stopped mid-push: PostgreSQL retries, archiving resumes when S3 returns, nothing lost", async () => {
    await s3.stop();
    const during = await generateSegments(source, 3);
    const deadline = Date.now() + 30_000;
    let failed = 0;
    while (failed === 0 && Date.now() < deadline) {
      const [row] = await source.query<{ failed: number }>("select failed_count::int as failed from pg_stat_archiver");
      failed = row?.failed ?? 0;
      if (failed === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(failed).toBeGreaterThan(0);
    const log = await readFile(source.logFile, "utf8");
    expect(log).toMatch(/zops wal-push: ERROR \[STORAGE_UNREACHABLE\]: .*/);
    // While S3 is down, wal-fetch must not answer "not found" (exit 1): that would end a recovery early.
    const down = await runZops(
      ["--config", config.path, "wal-fetch", segments[0] ?? "", join(await makeTempDir("x"), "seg")],
      { env: { ...s3.env } },
    );
    expect(down.exitCode).toBe(128);
    expect(down.stderr).toMatch(/STORAGE_UNREACHABLE/);

    await s3.restart();
    // The switch wakes the archiver at once instead of after its 60 s pause.
    const after = await generateSegments(source, 2);
    const stats = await waitArchived(source, after.at(-1) ?? "", 120_000);
    expect(stats.last_archived_wal).toBe(after.at(-1));
    segments.push(...during, ...after);
    const archived = new Set(segmentsOf(await listWal(await storageOf(config))).map((object) => object.name));
    for (const name of [...during, ...after]) expect(archived.has(name), name).toBe(true);
    await fetchAllIdentical([...during, ...after]);
  });

  it("recovers a base backup through restore_command from S3 and reaches the expected LSN", async () => {
    await source.query("insert into wal_load (payload) values ('s3 last row')");
    const [row] = await source.query<{ lsn: string; rows: string }>(
      "select pg_current_wal_lsn()::text as lsn, count(*)::text as rows from wal_load",
    );
    const last = await generateSegments(source, 1);
    await waitArchived(source, last.at(-1) ?? "");
    const restored = join(await makeTempDir("restore"), "data");
    await cp(baseBackup, restored, { recursive: true });
    await writeFile(join(restored, "recovery.signal"), "");
    if (source.runAs)
      await (await import("node:child_process")).execFileSync("chown", [
        "-R",
        `${source.runAs.uid}:${source.runAs.gid}`,
        restored,
      ]);
    const replica = await startCluster({
      dataDir: restored,
      start: false,
      env: { ...s3.env },
      settings: {
        archive_mode: "off",
        hot_standby: "off",
        restore_command: restoreCommand(config),
        recovery_target_lsn: `'${row?.lsn}'`,
        recovery_target_action: "'promote'",
      },
    });
    clusters.push(replica);
    await replica.start();
    expect(await waitRecoveryOutcome(replica)).toBe("promoted");
    const [check] = await replica.query<{ rows: string; recovery: boolean }>(
      "select count(*)::text as rows, pg_is_in_recovery() as recovery from wal_load",
    );
    expect(check).toEqual({ rows: row?.rows, recovery: false });
  });
});
