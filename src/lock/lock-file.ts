import { hostname } from "node:os";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { ZopsError } from "../errors/index.js";

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly command: string;
}

/** A held lock; release it in a finally block. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Set when a stale lock of a dead process was taken over: describes it for the log. */
  readonly recoveredFrom: LockHolder | undefined;
  release(): Promise<void>;
}

/**
 * True when process `pid` exists on this host (EPERM means it exists but belongs to another user). Pure apart from the
 * probe.
 */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

const readHolder = async (path: string): Promise<LockHolder | undefined> => {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
};

/**
 * Takes an exclusive lock file (O_EXCL); a lock of a dead process on this host is detected as stale and taken over;
 * throws LOCK_HELD naming the holder otherwise.
 */
export const acquireLock = async (path: string, command: string): Promise<HeldLock> => {
  await mkdir(dirname(path), { recursive: true });
  const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  let recoveredFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, "wx", 0o644);
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
      await handle.sync();
      await handle.close();
      return {
        path,
        holder,
        recoveredFrom,
        release: async () => {
          const current = await readHolder(path);
          if (current?.pid === holder.pid && current.host === holder.host) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ZopsError("LOCK_HELD", `unable to create lock file '${path}': ${(error as Error).message}`, {
          hint: "check that the lock directory exists and is writable",
          cause: error,
        });
      }
    }
    const existing = await readHolder(path);
    if (existing && (existing.host !== hostname() || isProcessAlive(existing.pid))) {
      throw new ZopsError(
        "LOCK_HELD",
        `lock '${path}' is held by '${existing.command}' (pid ` +
          `${existing.pid} on ${existing.host}, since ` +
          `${existing.startedAt})`,
        {
          hint:
            existing.host === hostname()
              ? "wait for it to finish"
              : `that process runs on another host; if it is gone, delete ${path}`,
          details: { holder: existing },
        },
      );
    }
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

/** Runs `fn` while holding the lock at `path`, always releasing it. */
export const withLock = async <T>(path: string, command: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> => {
  const lock = await acquireLock(path, command);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
};
