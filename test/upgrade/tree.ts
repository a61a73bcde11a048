import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Every entry under `dir` (recursively, links not followed) with type, size, mode and mtime: equal snapshots mean
 * nothing was written.
 */
export const snapshotTree = async (dir: string): Promise<string[]> => {
  const result: string[] = [];
  const walk = async (path: string, name: string) => {
    const info = await lstat(path).catch(() => undefined);
    if (!info) return;
    result.push(
      `${name} ${info.isDirectory() ? "d" : info.isSymbolicLink() ? "l" : "f"} ` +
        `${info.size} ${info.mode} ${info.mtimeMs}`,
    );
    if (info.isDirectory())
      for (const child of (await readdir(path)).sort()) await walk(join(path, child), `${name}/${child}`);
  };
  await walk(dir, ".");
  return result;
};
