import { setTimeout as sleep } from "node:timers/promises";
import { basename, dirname, resolve } from "node:path";
import type { ZopsConfig } from "../config/index.js";
import { openStorage } from "../storage/open.js";
import { attemptsOf } from "../storage/resilient.js";
import type { Storage } from "../storage/storage.js";
import { withDeadline } from "./deadline.js";
import { isZopsError } from "../errors/index.js";
import { checkClusterOnce } from "./cluster-check.js";
import { dataDirOfWalPath } from "./data-dir.js";
import { claimIsLive, prepareClaims, releaseClaim, tryClaim } from "./push-claims.js";
import { resolvePartialConflict } from "./partial-conflict.js";
import { pushWalFile, type PushedWal } from "./push-file.js";
import { defaultSpoolDir, prepareSpool, takeSpooledRecord } from "./push-spool.js";
import { startPusher, type PusherResult, type PusherState } from "./pusher.js";
import { assertMarkedReady } from "./ready-mark.js";
import { adoptSpoolOwner } from "./spool-owner.js";

/** What one `zops wal-push` call did. */
export interface WalPushResult {
  readonly name: string;
  /** `spooled`: the background pusher had archived it already (same file on disk, no storage access). */
  readonly status: PushedWal["status"] | "spooled" | "replaced";
  /** With `replaced`: where the unfinished copy that was in the repository is kept. */
  readonly asideKey?: string;
  readonly sha256: string;
  /**
   * What this call did about the background pusher (`started` one, one was `running`, `idle`: nothing else to push).
   */
  readonly pusher: PusherState | "none";
  /** Files the previous background pusher run failed to push (PostgreSQL archives them itself). */
  readonly pusherFailures: PusherResult["failures"];
  readonly identityCached: boolean;
  readonly durationMs: number;
}

/**
 * Archives the WAL file at `path` (archive_command's %p); refuses (PRECONDITION) a file PostgreSQL has not marked
 * ready unless `force`, and with `replacePartial` replaces a stored, provably unfinished copy of it. Returns only once
 * the asked-for file is safely stored (or already was); throws otherwise (STORAGE_* after the wrapper's retries,
 * STORAGE_CONFLICT, REPO_INVALID), so PostgreSQL retries the file. A file the background pusher already stored returns
 * at once; one it is pushing now is waited for.
 * Otherwise this call starts the background pusher for the other `.ready` files (push-ahead), then pushes its own file.
 * The whole call, retries included, ends within wal.deadlineSeconds (deadline.ts): past it, STORAGE_UNREACHABLE naming
 * the deadline and the attempts made. Idempotent.
 *
 * Not a Listr2 graph on purpose: this runs once per WAL segment from archive_command, where the only output is the
 * PostgreSQL log, a single line on failure; loading listr2 would add start-up time to every segment, and the "steps"
 * are one read, one listing and one put, with retries inside the storage wrapper.
 */
export const walPush = async (
  config: ZopsConfig,
  path: string,
  options: { configPath?: string; force?: boolean; replacePartial?: boolean } = {},
): Promise<WalPushResult> => {
  const deadlineMs = config.wal.deadlineSeconds * 1000;
  const opened: { storage?: Storage } = {};
  try {
    return await withDeadline(
      deadlineMs,
      `wal-push of ${basename(path)}`,
      (signal) => pushWithin(config, path, options, deadlineMs, signal, opened),
      () => (opened.storage ? attemptsOf(opened.storage) : 0),
    );
  } catch (error) {
    // At the deadline the work may still hang on a socket: closing the storage releases it.
    await opened.storage?.close?.().catch(() => undefined);
    throw error;
  }
};

const pushWithin = async (
  config: ZopsConfig,
  path: string,
  options: { configPath?: string; force?: boolean; replacePartial?: boolean },
  deadlineMs: number,
  signal: AbortSignal,
  opened: { storage?: Storage },
): Promise<WalPushResult> => {
  const started = performance.now();
  if (!options.force) await assertMarkedReady(path);
  const name = basename(path);
  const walDir = dirname(resolve(path));
  const dataDir = dataDirOfWalPath(path) ?? config.postgres.dataDir;
  const spool = config.wal.spoolDir ?? defaultSpoolDir(dataDir);
  const done = (
    status: WalPushResult["status"],
    sha256: string,
    rest: Pick<WalPushResult, "pusher" | "pusherFailures" | "identityCached" | "asideKey">,
  ): WalPushResult => ({
    name,
    status,
    sha256,
    ...rest,
    durationMs: performance.now() - started,
  });
  // The spool is an optimisation: when it cannot be written (a full or read-only pg_wal, when archiving matters
  // most), the file is pushed without a claim and without starting a pusher.
  const usable = await prepareSpool(spool)
    .then(() => prepareClaims(spool))
    .then(
      () => true,
      () => false,
    );

  // Served from the spool, now or after waiting for the process that is pushing this file: never longer than the
  // deadline, since a claim older than that belongs to a hung process (push-claims.ts).
  let claimed = false;
  while (usable) {
    const spooled = await takeSpooledRecord(spool, path, name, config.repository.url);
    if (spooled) return done("spooled", spooled, { pusher: "none", pusherFailures: [], identityCached: true });
    if (await claimIsLive(spool, name, deadlineMs)) {
      if (signal.aborted) break;
      await sleep(20);
      continue;
    }
    claimed = await tryClaim(spool, name, deadlineMs).catch(() => false);
    if (claimed) break;
    // Not claimable and nobody pushing: another process has just stored it (its record is read here) or the spool is
    // unwritable.
    const storedByOther = await takeSpooledRecord(spool, path, name, config.repository.url);
    if (storedByOther)
      return done("spooled", storedByOther, { pusher: "none", pusherFailures: [], identityCached: true });
    break;
  }

  let stored = false;
  try {
    // Push-ahead never fails the call: a pusher that cannot be started leaves the files to PostgreSQL's own calls.
    const pusher = usable
      ? await startPusher(config, spool, walDir, name, options.configPath).catch(() => ({
          state: "none" as const,
          previousFailures: [],
        }))
      : { state: "none" as const, previousFailures: [] };
    const storage = await openStorage(config);
    opened.storage = storage;
    try {
      const identity = await checkClusterOnce(storage, config, dataDir, spool);
      const level = config.wal.compressLevel;
      const pushed = await pushWalFile(storage, path, name, { level }).catch(async (error: unknown) => {
        if (!isZopsError(error, "STORAGE_CONFLICT")) throw error;
        const replace = options.replacePartial === true;
        const replaced = await resolvePartialConflict(storage, path, name, error, { replace, level });
        return { status: "replaced" as const, sha256: replaced.sha256, asideKey: replaced.asideKey };
      });
      stored = true;
      if (usable) await adoptSpoolOwner(spool);
      return done(pushed.status, pushed.sha256, {
        pusher: pusher.state,
        pusherFailures: pusher.previousFailures,
        identityCached: identity.cached,
        ...("asideKey" in pushed ? { asideKey: pushed.asideKey } : {}),
      });
    } finally {
      await storage.close?.();
    }
  } finally {
    if (claimed) await releaseClaim(spool, name, stored);
  }
};
