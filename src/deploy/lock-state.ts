import { hostname } from "node:os";
import { readFile } from "node:fs/promises";
import { isProcessAlive, type LockHolder } from "../lock/lock-file.js";

/**
 * Who holds the lock at `path` right now (a live process, or one on another host), without taking it; undefined when
 * free or stale. Read only.
 */
export const lockHolder = async (path: string): Promise<LockHolder | undefined> => {
  let holder: LockHolder;
  try {
    holder = JSON.parse(await readFile(path, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
  return holder.host !== hostname() || isProcessAlive(holder.pid) ? holder : undefined;
};
