import { hostname } from "node:os";
import { readFile } from "node:fs/promises";
import type { LockHolder } from "../lock/lock-file.js";

// Who holds the lock at `path` right now (a live process, or one on another host), without taking it; undefined when free or stale. Read only.
export const lockHolder = async (path: string): Promise<LockHolder | undefined> => {
  let holder: LockHolder;
  try {
    holder = JSON.parse(await readFile(path, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
  if (holder.host !== hostname()) return holder;
  try {
    process.kill(holder.pid, 0);
    return holder;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? holder : undefined;
  }
};
