import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMarker } from "../../src/repo/repository.js";
import { listWal, segmentsOf } from "../../src/wal/catalog.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { startStallingProxy, type StallingProxy } from "../support/stalling-proxy.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { archiveCommand, runZops, storageOf, waitArchived, writeTestConfig, type WalTestConfig } from "./support.js";

// Against an S3 endpoint that accepts connections and never answers, every archive call ends within its own
// deadline (wal.deadlineSeconds) with the storage exit status, reporting the deadline it enforced and the attempts it
// made; PostgreSQL's archiver records the failures (it can only do so once each call has ended) and, once the
// endpoint answers again, archives everything with nothing lost. No elapsed-time ceiling is asserted: the calls
// report what they enforced, a lower bound holds (timers never fire early), and a generous guard catches a hang.

const DEADLINE_SECONDS = 3;
/** A generous bound from the deadline: a call still alive this long after it was first seen outlived its deadline. */
const HANG_GUARD_MS = (DEADLINE_SECONDS + 10) * 1000;

/** Pids of the live zops archive processes (wal-push, wal-fetch, the background pusher) run with `configPath`. */
const archiveProcessesIn = async (configPath: string): Promise<number[]> => {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    const status = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (/\) Z /.test(status)) continue; // a zombie has ended; only its parent has not reaped it yet
    if (args.includes(configPath) && args.some((arg) => /^wal-(push|fetch|push-ahead)$/.test(arg)))
      pids.push(Number(entry));
  }
  return pids;
};

/**
 * Watches the archive processes of `configPath` (PostgreSQL's calls, the hand-run ones, any background pusher) until
 * stopped and every process seen has ended: `outlived` lists those still alive HANG_GUARD_MS after first being seen.
 */
const watchArchiveProcesses = (configPath: string) => {
  const firstSeen = new Map<number, number>();
  const outlived = new Set<number>();
  let stopping = false;
  const done = (async () => {
    for (;;) {
      const now = performance.now();
      const alive = await archiveProcessesIn(configPath);
      for (const pid of alive) if (!firstSeen.has(pid)) firstSeen.set(pid, now);
      for (const pid of alive) if (now - (firstSeen.get(pid) ?? now) > HANG_GUARD_MS) outlived.add(pid);
      // Once stopped: until every process seen has ended or outlived the guard (bounded by the guard).
      if (stopping && alive.every((pid) => outlived.has(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await done;
    },
    seen: () => firstSeen.size,
    outlived: () => [...outlived],
  };
};

interface FailureJson {
  ok: false;
  error: { code: string; message: string; deadlineMs?: number; attempts?: number };
}

describe("archive calls against a stalled S3 endpoint", () => {
  let s3: TestS3Server;
  let proxy: StallingProxy;
  let config: WalTestConfig;
  let cluster: TestCluster;
  const madeDirs: string[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startStallingProxy(s3.port);
    const repository = { ...s3.repositoryConfig, s3: { ...s3.repositoryConfig.s3, endpoint: proxy.endpoint } };
    config = await writeTestConfig(repository, {
      wal: { deadlineSeconds: DEADLINE_SECONDS, pushAhead: 4 },
      storage: { timeoutSeconds: 1, retries: 20, retryDelayMs: 100 },
    });
    await writeMarker(await storageOf(config));
    cluster = await startCluster({
      env: { ...s3.env },
      settings: { archive_mode: "on", archive_command: archiveCommand(config), wal_keep_size: "'1GB'" },
    });
    await cluster.query("create table t (id serial primary key, payload text)");
    const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    await waitArchived(cluster, row?.name ?? "");
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
    await proxy?.close();
    await s3?.destroy();
    for (const dir of madeDirs) await removeTempDir(dir);
  });

  const switchWal = async (): Promise<string> => {
    await cluster.query("insert into t (payload) select md5(g::text) from generate_series(1, 500) g");
    const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    return row?.name ?? "";
  };

  it("ends wal-push and wal-fetch at their deadline, and archives everything once the endpoint answers", {
    timeout: 240_000,
  }, async () => {
    proxy.setMode("stall");
    const [before] = await cluster.query<{ failed: string }>(
      "select failed_count::text as failed from pg_stat_archiver",
    );
    const names = [await switchWal(), await switchWal(), await switchWal()];
    const watch = watchArchiveProcesses(config.path);

    // wal-push by hand, on a copy of a segment in a data directory of its own (PostgreSQL's calls for the original
    // hold its claim: a call for it would wait on that claim, bounded by the same deadline, before trying storage).
    const copy = await makeTempDir("deadline-data", { forPostgres: false });
    madeDirs.push(copy);
    await mkdir(join(copy, "global"));
    await mkdir(join(copy, "pg_wal"));
    await cp(join(cluster.dataDir, "PG_VERSION"), join(copy, "PG_VERSION"));
    await cp(join(cluster.dataDir, "global", "pg_control"), join(copy, "global", "pg_control"));
    await cp(join(cluster.dataDir, "pg_wal", names[0] ?? ""), join(copy, "pg_wal", names[0] ?? ""));
    // Marked ready, as PostgreSQL marks a finished segment (wal-push refuses a file without its .ready).
    await mkdir(join(copy, "pg_wal", "archive_status"));
    await writeFile(join(copy, "pg_wal", "archive_status", `${names[0] ?? ""}.ready`), "");
    const pushStarted = performance.now();
    const push = await runZops(["--config", config.path, "--json", "wal-push", join(copy, "pg_wal", names[0] ?? "")], {
      timeoutMs: HANG_GUARD_MS,
    });
    const pushMs = performance.now() - pushStarted;
    expect(push.timedOut).toBe(false);
    expect(push.exitCode).toBe(6);
    const pushed = JSON.parse(push.stdout) as FailureJson;
    expect(pushed.error).toMatchObject({ code: "STORAGE_UNREACHABLE", deadlineMs: DEADLINE_SECONDS * 1000 });
    expect(pushed.error.message).toMatch(/did not finish within its 3 s deadline/);
    expect(pushed.error.attempts).toBeGreaterThanOrEqual(2); // retries ran inside the deadline
    expect(pushMs).toBeGreaterThanOrEqual(DEADLINE_SECONDS * 1000); // lower bound only

    // wal-fetch: exit 128 (not "end of archive"), so PostgreSQL stops recovery instead of promoting early.
    const fetchDir = await makeTempDir("fetch-dest");
    madeDirs.push(fetchDir);
    const dest = join(fetchDir, "RECOVERYXLOG");
    await mkdir(join(dest, ".."), { recursive: true });
    const fetch = await runZops(["--config", config.path, "--json", "wal-fetch", names[0] ?? "", dest], {
      timeoutMs: HANG_GUARD_MS,
    });
    expect(fetch.timedOut).toBe(false);
    expect(fetch.exitCode).toBe(128);
    expect((JSON.parse(fetch.stdout) as FailureJson).error).toMatchObject({
      code: "STORAGE_UNREACHABLE",
      deadlineMs: DEADLINE_SECONDS * 1000,
    });

    // PostgreSQL's own calls end too: the archiver records a failure only once a call has exited.
    for (;;) {
      const [row] = await cluster.query<{ failed: string }>(
        "select failed_count::text as failed from pg_stat_archiver",
      );
      if (Number(row?.failed) > Number(before?.failed)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(proxy.stalled()).toBeGreaterThan(0);
    await watch.stop();
    expect(watch.seen()).toBeGreaterThan(0);
    expect(watch.outlived(), "archive processes alive past the deadline's guard").toEqual([]);

    proxy.setMode("forward");
    await waitArchived(cluster, names.at(-1) ?? "", 120_000);
    const stored = new Set(segmentsOf(await listWal(await storageOf(config))).map((object) => object.name));
    for (const name of names) expect(stored.has(name), `${name} archived`).toBe(true);
  });
});
