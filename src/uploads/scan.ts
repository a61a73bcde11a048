import { lstatSync, readdirSync, readlinkSync, type Dirent, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";
import { toEntryPath } from "./entry-path.js";
import { yieldEvery } from "./yield.js";

/** The lstat facts a snapshot keeps (a small object, not the whole Stats). */
export interface FileFacts {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
}

/** One path found under an uploads root (symlinks are never followed). */
export interface ScannedEntry {
  readonly path: string;
  readonly absolute: string;
  readonly type: "file" | "dir" | "symlink";
  readonly stats: FileFacts;
  readonly target?: string;
}

const factsOf = (stats: Stats): FileFacts => ({
  mode: stats.mode,
  uid: stats.uid,
  gid: stats.gid,
  size: stats.size,
  mtimeMs: stats.mtimeMs,
  ctimeMs: stats.ctimeMs,
  ino: stats.ino,
});

const isGone = (error: unknown): boolean => ["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "");

/**
 * Walks each root (the root itself may be a symlink to a directory; nothing below it is followed) with synchronous
 * calls, several times faster than the thread pool for many small files, yielding to the event loop regularly; throws
 * PRECONDITION when a root is missing; reports vanished and special files through onSkip.
 */
export const scanRoots = async (
  roots: readonly string[],
  onSkip: (path: string, reason: string) => void,
): Promise<ScannedEntry[]> => {
  const found: ScannedEntry[] = [];
  const pause = yieldEvery(256);
  const visit = async (absolute: string, stats: Stats): Promise<void> => {
    const path = toEntryPath(absolute);
    if (stats.isSymbolicLink())
      found.push({ path, absolute, type: "symlink", stats: factsOf(stats), target: readlinkSync(absolute) });
    else if (stats.isFile()) found.push({ path, absolute, type: "file", stats: factsOf(stats) });
    else if (stats.isDirectory()) {
      found.push({ path, absolute, type: "dir", stats: factsOf(stats) });
      let children: Dirent[];
      try {
        children = readdirSync(absolute, { withFileTypes: true });
      } catch (error) {
        if (isGone(error)) return onSkip(absolute, "vanished during the scan");
        throw new ZopsError(
          "PRECONDITION",
          `unable to read uploads directory '${absolute}': ${(error as Error).message}`,
          { hint: "run zops backup as a user that can read every upload", cause: error },
        );
      }
      children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const child of children) {
        await pause();
        const childPath = join(absolute, child.name);
        let childStats: Stats | undefined;
        try {
          childStats = lstatSync(childPath);
        } catch (error) {
          if (!isGone(error)) throw error;
        }
        if (!childStats) onSkip(childPath, "vanished during the scan");
        else if (childStats.isFile() || childStats.isDirectory() || childStats.isSymbolicLink())
          await visit(childPath, childStats);
        else onSkip(childPath, "not a regular file, directory or symlink");
      }
    } else onSkip(absolute, "not a regular file, directory or symlink");
  };
  for (const root of roots) {
    let stats: Stats;
    try {
      stats = await stat(root);
    } catch (error) {
      throw new ZopsError("PRECONDITION", `uploads path '${root}' does not exist or cannot be read`, {
        hint: "fix uploads.paths in zops.yml",
        cause: error,
      });
    }
    await visit(root.replace(/\/+$/, "") || "/", stats);
  }
  return found;
};
