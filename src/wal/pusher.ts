import { access, readFile, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { ZopsConfig } from "../config/index.js";
import { isZopsError, messageOf } from "../errors/index.js";
import { spawnDetached } from "../exec/detached.js";
import { zopsCommand } from "../exec/self-command.js";
import { acquireLock, liveLockHolder } from "../lock/lock-file.js";
import { availableParallelism } from "node:os";
import { WorkerPool } from "../workers/pool.js";
import { openStorage } from "../storage/open.js";
import { attemptsOf } from "../storage/resilient.js";
import { withDeadline } from "./deadline.js";
import type { PreparedWal, WalJobs } from "./prepare.js";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import { settleBounded } from "../flow/bounded.js";
import { checkClusterOnce } from "./cluster-check.js";
import { claimIsLive, cleanClaims, prepareClaims, releaseClaim, tryClaim } from "./push-claims.js";
import { selectPushAhead } from "./push-ahead.js";
import { pushWalFile, type PushedWal } from "./push-file.js";
import {
  cleanPushSpool,
  defaultSpoolDir,
  fileIdentity,
  listPushRecords,
  prepareSpool,
  writePushRecord,
} from "./push-spool.js";
import { adoptSpoolOwner } from "./spool-owner.js";

// The background pusher (docs/repository-format.md, "Spools"): a detached `zops wal-push-ahead` started by a
// wal-push call that had to push its own file. It pushes the other `.ready` files while PostgreSQL's archiver is
// still busy with earlier ones, so the archiver's later calls find a spool record and return at once; the compression
// and upload work overlaps with those calls instead of adding to them. One pusher per spool (a lock); each file is
// claimed while it is pushed, so the archiver's own call waits for it instead of pushing it twice.

/** What one background pusher run did (also left in `<spool>/pusher.json` for the next wal-push to report). */
export interface PusherResult {
  readonly pushed: readonly PushedWal[];
  readonly failures: readonly { name: string; error: string }[];
  readonly finishedAt: string;
}

const lockPath = (spool: string) => join(spool, "pusher.lock");
const resultPath = (spool: string) => join(spool, "pusher.json");

// True when a live background pusher holds the spool's lock.
const pusherIsRunning = async (spool: string): Promise<boolean> =>
  (await liveLockHolder(lockPath(spool))) !== undefined;

/** How a wal-push call left the background pusher. */
export type PusherState = "started" | "running" | "idle" | "off";

/**
 * Starts a background pusher for `walDir` unless push-ahead is off, one is running, or no other `.ready` file waits;
 * returns which. Also returns the failures the previous pusher run left behind (once), for the caller to report.
 */
export const startPusher = async (
  config: ZopsConfig,
  spool: string,
  walDir: string,
  current: string,
  configPath: string | undefined,
): Promise<{ state: PusherState; previousFailures: PusherResult["failures"] }> => {
  const previous = await readFile(resultPath(spool), "utf8").then(
    (text) => JSON.parse(text) as PusherResult,
    () => undefined,
  );
  const previousFailures = previous?.failures ?? [];
  if (previousFailures.length > 0)
    await writeFileAtomic(resultPath(spool), JSON.stringify({ ...previous, failures: [] }), { durable: false }).catch(
      () => undefined,
    );
  if (config.wal.pushAhead <= 0) return { state: "off", previousFailures };
  if (await pusherIsRunning(spool)) return { state: "running", previousFailures };
  const waiting = await selectPushAhead(walDir, current, await listPushRecords(spool), 1);
  if (waiting.length === 0) return { state: "idle", previousFailures };
  const [file, ...prefix] = zopsCommand();
  const config_ = configPath ? ["--config", resolve(configPath)] : [];
  await spawnDetached(file ?? "zops", [...prefix, ...config_, "wal-push-ahead", walDir, "--after", current], {
    cwd: dirname(walDir),
  });
  return { state: "started", previousFailures };
};

/**
 * The pusher itself: pushes every `.ready` file under `walDir` that has no spool record and no live claim, in rounds of
 * at most `wal.pushAhead`, `wal.pushConcurrency` at a time, until a round finds nothing new; writes a record (or, with
 * `wal.markDone`, renames `.ready` to `.done`) for each file stored. Returns at once when another pusher holds the
 * lock. Each file is pushed within wal.deadlineSeconds; the first failure (a deadline included) ends the run.
 * Failures never throw: PostgreSQL's own call pushes such a file and reports.
 *
 * With `after` (the file of the wal-push that started it), it first waits (at most AFTER_WAIT_MS) until that file's
 * claim is no longer live: it starts up meanwhile, and PostgreSQL's current call, which the archiver is waiting for,
 * does not share the disk and CPU with it (measured: that call took 0.6-1.1 s instead of ~0.3 s).
 */
export const runPusher = async (
  config: ZopsConfig,
  walDir: string,
  options: { after?: string } = {},
): Promise<PusherResult> => {
  const dataDir = dirname(walDir);
  const spool = config.wal.spoolDir ?? defaultSpoolDir(dataDir);
  await prepareSpool(spool);
  await prepareClaims(spool);
  let lock;
  try {
    lock = await acquireLock(lockPath(spool), "zops wal-push-ahead");
  } catch (error) {
    if (isZopsError(error, "LOCK_HELD")) return { pushed: [], failures: [], finishedAt: new Date().toISOString() };
    throw error;
  }
  const pushed: PushedWal[] = [];
  const failures: { name: string; error: string }[] = [];
  const deadlineMs = config.wal.deadlineSeconds * 1000;
  const storage = await openStorage(config);
  // Reading, hashing and compressing run on worker threads, so this thread stays free to write each record the
  // moment its file is stored (PostgreSQL's call for it may be waiting). One core is left for those calls:
  // measured on 2 cores, a pusher on both made each of them slower than the pushing it saved (bench/wal-push.ts).
  const pool = new WorkerPool<WalJobs>(Math.max(1, Math.min(config.wal.pushConcurrency, availableParallelism() - 1)));
  const prepare = (path: string, level: number) => pool.run({ kind: "prepare-wal", path, level });
  try {
    await checkClusterOnce(storage, config, dataDir, spool);
    if (options.after) await waitWhileClaimed(spool, options.after, Math.min(AFTER_WAIT_MS, deadlineMs));
    const attempted = new Set<string>();
    for (;;) {
      const skip = new Set([...(await listPushRecords(spool)), ...attempted]);
      const names = await selectPushAhead(walDir, "", skip, config.wal.pushAhead);
      if (names.length === 0) break;
      for (const name of names) attempted.add(name);
      // Each file within the archive deadline, like PostgreSQL's own calls: a stalled endpoint ends the run.
      const results = await settleBounded(names, config.wal.pushConcurrency, (name) =>
        withDeadline(
          deadlineMs,
          `background push of ${name}`,
          () => pushOne(config, storage, spool, walDir, name, prepare),
          () => attemptsOf(storage),
        ),
      );
      results.forEach((result, index) => {
        if (result.status === "fulfilled" && result.value) pushed.push(result.value);
        if (result.status === "rejected") failures.push({ name: names[index] ?? "?", error: messageOf(result.reason) });
      });
      if (failures.length > 0) break; // storage trouble: leave the rest to PostgreSQL's own calls, which report it
    }
  } catch (error) {
    failures.push({ name: "(pusher)", error: messageOf(error) });
  } finally {
    await pool.close();
    await storage.close?.();
    await cleanPushSpool(spool);
    await cleanClaims(spool);
    const result = { pushed, failures, finishedAt: new Date().toISOString() };
    await writeFileAtomic(resultPath(spool), JSON.stringify(result), { durable: false }).catch(() => undefined);
    await adoptSpoolOwner(spool);
    await lock.release();
  }
  return { pushed, failures, finishedAt: new Date().toISOString() };
};

const AFTER_WAIT_MS = 3000;

// Waits until `name`'s claim is not held by a live process, or `limitMs` passed.
const waitWhileClaimed = async (spool: string, name: string, limitMs: number): Promise<void> => {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline && (await claimIsLive(spool, name, limitMs)))
    await new Promise((resolve) => setTimeout(resolve, 10));
};

// Pushes one file under its claim; undefined when someone else holds it or PostgreSQL archived it meanwhile.
const pushOne = async (
  config: ZopsConfig,
  storage: Awaited<ReturnType<typeof openStorage>>,
  spool: string,
  walDir: string,
  name: string,
  prepare: (path: string, level: number) => Promise<PreparedWal>,
): Promise<PushedWal | undefined> => {
  if (!(await tryClaim(spool, name, config.wal.deadlineSeconds * 1000))) return undefined;
  let stored = false;
  try {
    const ready = join(walDir, "archive_status", `${name}.ready`);
    if (
      !(await access(ready).then(
        () => true,
        () => false,
      ))
    )
      return undefined;
    const path = join(walDir, name);
    // Taken before the read: if the file changed after this, its identity no longer matches and the record is not used.
    const file = await fileIdentity(path);
    if (!file) return undefined;
    const result = await pushWalFile(storage, path, name, { level: config.wal.compressLevel, prepare });
    if (config.wal.markDone) await rename(ready, join(walDir, "archive_status", `${name}.done`)).catch(() => undefined);
    else
      await writePushRecord(spool, {
        name,
        sha256: result.sha256,
        key: result.key,
        location: config.repository.url,
        pushedAt: new Date().toISOString(),
        file,
      });
    stored = true;
    return result;
  } finally {
    await releaseClaim(spool, name, stored);
  }
};
