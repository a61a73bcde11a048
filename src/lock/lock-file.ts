import { hostname } from "node:os";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ZopsError, localError, withLocalErrors } from "../errors/index.js";
import { isProcessAlive, processStartTime } from "../exec/process-alive.js";

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly command: string;
  /** The holder's process start time (/proc), so a reused pid is not taken for the holder; absent in old files. */
  readonly processStart?: string | undefined;
}

/** A held lock; release it in a finally block. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Set when a stale lock of a dead process was taken over: describes it for the log. */
  readonly recoveredFrom: LockHolder | undefined;
  /** Releases the lock (idempotent; a lock file taken over by another process meanwhile is left alone). */
  release(): Promise<void>;
}

/** The holder record of this process, for a lock or lease taken now. */
export const thisHolder = (command: string): LockHolder => ({
  pid: process.pid,
  host: hostname(),
  startedAt: new Date().toISOString(),
  command,
  processStart: processStartTime(process.pid),
});

/** True when `holder` may still hold what it recorded: a live process on this host, or any process on another. */
export const holderIsLive = (holder: LockHolder): boolean =>
  holder.host !== hostname() || isProcessAlive(holder.pid, holder.processStart);

/** Describes a holder for messages: `'zops backup' (pid 123 on db1, since 2026-…)`. Pure. */
export const describeHolder = (holder: LockHolder): string =>
  `'${holder.command}' (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`;

/**
 * The holder recorded in the lock file at `path`, live or not; undefined when there is none or it is unreadable. The
 * one reader of lock files. Read-only, never throws.
 */
export const readLockHolder = async (path: string): Promise<LockHolder | undefined> => {
  try {
    const holder = JSON.parse(await readFile(path, "utf8")) as LockHolder;
    return typeof holder?.pid === "number" && typeof holder.host === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
};

/** Who holds the lock at `path` right now (a live process, or one on another host); undefined when free or stale. */
export const liveLockHolder = async (path: string): Promise<LockHolder | undefined> => {
  const holder = await readLockHolder(path);
  return holder && holderIsLive(holder) ? holder : undefined;
};

/** The error for a lock someone else holds. Pure. */
export const lockHeldError = (path: string, holder: LockHolder, what = `lock '${path}'`): ZopsError =>
  new ZopsError("LOCK_HELD", `${what} is held by ${describeHolder(holder)}`, {
    hint:
      holder.host === hostname()
        ? "wait for it to finish"
        : `that process runs on another host; if it is gone, delete ${path}`,
    details: { holder },
  });

// Locks the command runner (src/commands/runner.ts) holds for the command it runs, by resolved path: the command's own
// acquireLock of the same path (upgrade's preflight, rollback) gets that lock, nested, instead of finding it taken.
const handedDown = new Map<string, HeldLock>();

/**
 * Hands `lock` down to the running command until it is released: acquireLock of its path in this process then returns
 * a nested handle (releasing it does nothing) instead of refusing.
 */
export const handDown = (lock: HeldLock): HeldLock => {
  const key = resolve(lock.path);
  handedDown.set(key, lock);
  return {
    ...lock,
    release: async () => {
      if (handedDown.get(key) === lock) handedDown.delete(key);
      await lock.release();
    },
  };
};

/**
 * Takes an exclusive lock file (O_EXCL) holding this process's holder record; a lock of a dead process on this host is
 * detected as stale and taken over (recoveredFrom says whose). A lock the runner handed down is returned nested.
 * @throws LOCK_HELD naming the live holder; LOCAL_ACCESS, DISK_FULL or LOCAL_IO when the file cannot be created.
 */
export const acquireLock = async (path: string, command: string): Promise<HeldLock> => {
  const nested = handedDown.get(resolve(path));
  if (nested) return { ...nested, release: async () => undefined };
  await withLocalErrors(`unable to create the directory of lock file '${path}'`, dirname(path), () =>
    mkdir(dirname(path), { recursive: true }),
  );
  const holder = thisHolder(command);
  let recoveredFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, "wx", 0o644);
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
      await handle.sync();
      await handle.close();
      let released = false;
      return {
        path,
        holder,
        recoveredFrom,
        release: async () => {
          if (released) return;
          released = true;
          const current = await readLockHolder(path);
          if (current?.pid === holder.pid && current.host === holder.host) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw localError(error, `unable to create lock file '${path}'`, dirname(path));
    }
    const existing = await readLockHolder(path);
    if (existing && holderIsLive(existing)) throw lockHeldError(path, existing);
    // Stale (dead pid or unreadable): move it aside atomically so only one contender takes it over.
    recoveredFrom = existing ?? { pid: 0, host: "unknown", startedAt: "unknown", command: "unreadable lock file" };
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`),
      () => undefined,
    );
  }
  throw new ZopsError("LOCK_HELD", `unable to take lock '${path}': it keeps changing hands`, {
    hint: "another zops process is starting; retry",
  });
};

/** Runs `fn` while holding the lock at `path`, always releasing it. @throws LOCK_HELD as acquireLock. */
export const withLock = async <T>(path: string, command: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> => {
  const lock = await acquireLock(path, command);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
};
