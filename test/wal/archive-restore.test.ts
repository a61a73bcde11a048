import { chown, cp, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walKey } from "../../src/repo/layout.js";
import { findWalObject, listWal, segmentsOf } from "../../src/wal/catalog.js";
import { walFetch } from "../../src/wal/fetch.js";
import { copyBaseBackup } from "../support/base-backup.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { makeTempDir } from "../support/temp.js";
import {
  archiveCommand,
  generateSegments,
  makeFileRepository,
  restoreCommand,
  runZops,
  storageOf,
  waitArchived,
  waitRecoveryOutcome,
  writeTestConfig,
  type WalTestConfig,
} from "./support.js";

// The whole WAL path against a real cluster and a file repository: archive_command = zops wal-push under
// write load, every segment fetched back byte-identical, a restore replaying to the expected LSN, a hole in
// the archive stopping recovery, a foreign cluster refused, idempotent and conflicting re-pushes.
describe("wal-push / wal-fetch with a file repository", () => {
  let source: TestCluster;
  let config: WalTestConfig;
  let repoDir: string;
  let baseBackup: string;
  let segments: string[] = [];
  let targetLsn = "";
  let expectedRows = 0;
  const clusters: TestCluster[] = [];

  beforeAll(async () => {
    const repo = await makeFileRepository();
    repoDir = repo.dir;
    config = await writeTestConfig({ url: repo.url }, { wal: { pushAhead: 8, prefetch: 8 } });
    source = await startCluster({
      settings: {
        archive_mode: "on",
        archive_command: archiveCommand(config),
        wal_keep_size: "'2GB'",
        max_wal_size: "'2GB'",
      },
    });
    clusters.push(source);
    segments = await generateSegments(source, 45);
    // The base backup comes late so that recovery replays ~12 segments: enough to cross many restore_command
    // calls, prefetch batches and the hole below, without minutes of process start-ups per test run.
    baseBackup = join(await makeTempDir("base"), "data");
    await copyBaseBackup(source, baseBackup);
    segments.push(...(await generateSegments(source, 10)));
    await source.query("insert into wal_load (payload) values ('last row')");
    const [row] = await source.query<{ lsn: string; rows: string }>(
      "select pg_current_wal_lsn()::text as lsn, count(*)::text as rows from wal_load",
    );
    targetLsn = row?.lsn ?? "";
    expectedRows = Number(row?.rows);
    segments.push(...(await generateSegments(source, 1)));
  }, 240_000);

  afterAll(async () => {
    for (const cluster of clusters) await cluster.destroy();
  });

  it("archives 55+ segments under write load with failed_count 0", async () => {
    const stats = await waitArchived(source, segments.at(-1) ?? "");
    expect(Number(stats.failed_count)).toBe(0);
    const storage = await storageOf(config);
    const archived = new Set(segmentsOf(await listWal(storage)).map((object) => object.name));
    for (const name of segments) expect(archived.has(name), name).toBe(true);
    expect(archived.size).toBeGreaterThanOrEqual(56);
    const status = await readdir(join(source.dataDir, "pg_wal", "archive_status"));
    expect(status.filter((entry) => entry.endsWith(".ready") && segments.includes(entry.slice(0, 24)))).toEqual([]);
  });

  // In-process walFetch (the command's whole logic minus config loading) keeps 55 fetches fast; the CLI path is
  // what the recovery tests below drive through restore_command, and test/wal/wal-cli.test.ts checks its exit codes.
  it("fetches every archived segment back byte-identical (prefetching into the spool)", async () => {
    const target = join(await makeTempDir("fetch"), "data");
    await mkdir(join(target, "pg_wal"), { recursive: true });
    let fromSpool = 0;
    for (const name of segments) {
      const dest = join(target, "pg_wal", "RECOVERYXLOG");
      const result = await walFetch(config.config, name, dest);
      if (result.source === "spool") fromSpool += 1;
      const [fetched, original] = await Promise.all([readFile(dest), readFile(join(source.dataDir, "pg_wal", name))]);
      expect(fetched.equals(original), name).toBe(true);
    }
    expect(fromSpool).toBeGreaterThan(segments.length / 2);
  });

  it("recovers a base backup with restore_command = zops wal-fetch to the expected LSN", async () => {
    const restored = join(await makeTempDir("restore"), "data");
    await cp(baseBackup, restored, { recursive: true, preserveTimestamps: true });
    await writeFile(join(restored, "recovery.signal"), "");
    await chownTree(restored, source);
    const replica = await startCluster({
      dataDir: restored,
      start: false,
      // hot_standby off: pg_ctl -w returns only once recovery has ended (or failed).
      settings: {
        archive_mode: "off",
        hot_standby: "off",
        restore_command: restoreCommand(config),
        recovery_target_lsn: `'${targetLsn}'`,
        recovery_target_action: "'promote'",
      },
    });
    clusters.push(replica);
    await replica.start();
    expect(await waitRecoveryOutcome(replica)).toBe("promoted");
    const [row] = await replica.query<{ rows: string; recovery: boolean; reached: boolean }>(
      `select count(*)::text as rows, pg_is_in_recovery() as ` +
        `recovery, pg_current_wal_lsn() >= '${targetLsn}'::pg_lsn as ` +
        `reached from wal_load`,
    );
    expect(row).toEqual({ rows: String(expectedRows), recovery: false, reached: true });
    const log = await readFile(replica.logFile, "utf8");
    expect(log).toContain(`recovery stopping after WAL location (LSN) "${targetLsn}"`);
  });

  it("stops recovery with an error (no promotion) when a segment is missing from the repository", async () => {
    const holeRepo = await makeTempDir("hole");
    await cp(repoDir, holeRepo, { recursive: true });
    await chownTree(holeRepo, source);
    const holeConfig = await writeTestConfig({ url: `file://${holeRepo}` });
    const storage = await storageOf(holeConfig);
    const missing = segments[50] ?? ""; // after the base backup's start, before the end
    const object = await findWalObject(storage, missing);
    expect(object?.key).toBe(walKey(missing, object?.sha256 ?? ""));
    await storage.delete([object?.key ?? ""]);

    const restored = join(await makeTempDir("restore"), "data");
    await cp(baseBackup, restored, { recursive: true });
    await writeFile(join(restored, "recovery.signal"), "");
    await chownTree(restored, source);
    const replica = await startCluster({
      dataDir: restored,
      start: false,
      settings: { archive_mode: "off", hot_standby: "off", restore_command: restoreCommand(holeConfig) },
    });
    clusters.push(replica);
    await replica.start(60).catch(() => undefined); // pg_ctl may return before recovery reaches the hole
    expect(await waitRecoveryOutcome(replica)).toBe("stopped");
    const log = await readFile(replica.logFile, "utf8");
    expect(log).toContain(`WAL file ${missing} is missing from repository`);
    expect(log).toMatch(/FATAL/);
    expect(log).not.toMatch(/database system is ready to accept connections/);
    expect(log).not.toMatch(/selected new timeline ID/);
  });

  it("re-pushing identical content succeeds; different content fails and overwrites nothing", async () => {
    const name = segments[5] ?? "";
    const same = await runZops(["--config", config.path, "wal-push", join("pg_wal", name)], { cwd: source.dataDir });
    expect(same.exitCode, same.stderr).toBe(0);

    const fake = await makeTempDir("fake");
    await mkdir(join(fake, "pg_wal", "archive_status"), { recursive: true });
    await mkdir(join(fake, "global"), { recursive: true });
    await cp(join(source.dataDir, "global", "pg_control"), join(fake, "global", "pg_control"));
    await cp(join(source.dataDir, "PG_VERSION"), join(fake, "PG_VERSION"));
    const altered = await readFile(join(source.dataDir, "pg_wal", name));
    altered[1000] = (altered[1000] ?? 0) ^ 0xff;
    await writeFile(join(fake, "pg_wal", name), altered);
    await writeFile(join(fake, "pg_wal", "archive_status", `${name}.ready`), "");
    const before = await findWalObject(await storageOf(config), name);
    const different = await runZops(["--config", config.path, "wal-push", join("pg_wal", name)], { cwd: fake });
    expect(different.exitCode).toBe(6);
    expect(different.stderr).toMatch(
      new RegExp(`STORAGE_CONFLICT.*WAL file ${name} is already archived .* with different content`),
    );
    expect(different.stderr.trim().split("\n")[0]).not.toContain("\n");
    const after = await findWalObject(await storageOf(config), name);
    expect(after).toEqual(before);
  });

  it("refuses a second cluster pointed at the same repository", async () => {
    const other = await startCluster({ settings: { archive_mode: "on", archive_command: archiveCommand(config) } });
    clusters.push(other);
    await generateSegments(other, 1);
    const deadline = Date.now() + 30_000;
    let failed = 0;
    while (Date.now() < deadline && failed === 0) {
      const [row] = await other.query<{ failed: string }>("select failed_count::text as failed from pg_stat_archiver");
      failed = Number(row?.failed);
      if (failed === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(failed).toBeGreaterThan(0);
    const log = await readFile(other.logFile, "utf8");
    expect(log).toMatch(
      /REPO_INVALID\]: repository 'file:\/\/.*' belongs to PostgreSQL cluster \d+, not to this cluster \(\d+\)/,
    );
    expect(log).toContain("HINT: each cluster needs its own repository");
    const [row] = await other.query<{ archived: string }>(
      "select archived_count::text as archived from pg_stat_archiver",
    );
    expect(Number(row?.archived)).toBe(0);
    await other.destroy();
  });
});

// Gives the postgres OS user (when we are root) ownership of a copied tree.
const chownTree = async (dir: string, cluster: TestCluster): Promise<void> => {
  if (!cluster.runAs) return;
  const { uid, gid } = cluster.runAs;
  const walk = async (path: string): Promise<void> => {
    await chown(path, uid, gid);
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else await chown(child, uid, gid);
    }
  };
  await walk(dir);
};
