import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";
import { isExcluded, unloggedRelationFiles } from "./exclusions.js";

/** A regular file found in the data directory. */
export interface FoundFile {
  /** Relative path (`/`-separated); tablespace files are under `pg_tblspc/<oid>/`. */
  readonly path: string;
  readonly absolute: string;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

export interface WalkResult {
  readonly files: FoundFile[];
  readonly directories: { path: string; mode: number }[];
  /** `pg_tblspc/<oid>` links and where they point. */
  readonly tablespaceLinks: { oid: string; location: string }[];
}

const DATABASE_DIRECTORY = /^(base\/[0-9]+|pg_tblspc\/[0-9]+\/[^/]+\/[0-9]+)$/;

/**
 * Lists the data directory (following pg_tblspc links) minus the exclusions; files that vanish while listing are
 * skipped (WAL replay recreates or drops them). Throws PRECONDITION when the directory is unreadable.
 */
export const walkDataDirectory = async (
  dataDir: string,
  extraExcluded: readonly string[] = [],
): Promise<WalkResult> => {
  const result: WalkResult = { files: [], directories: [], tablespaceLinks: [] };
  const visit = async (relative: string, absolute: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(absolute)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && relative !== "") return;
      throw new ZopsError("PRECONDITION", `unable to read '${absolute}': ${(error as Error).message}`, {
        hint: "run zops backup as root or as the PostgreSQL OS user",
        cause: error,
      });
    }
    const skipped = DATABASE_DIRECTORY.test(relative) ? unloggedRelationFiles(names) : new Set<string>();
    for (const name of names) {
      const path = relative === "" ? name : `${relative}/${name}`;
      if (skipped.has(name) || isExcluded(path, extraExcluded)) continue;
      const full = join(absolute, name);
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue;
      if (info.isSymbolicLink() && relative === "pg_tblspc") {
        const location = await readlink(full);
        const target = await stat(full).catch(() => undefined);
        if (!target?.isDirectory()) continue;
        result.tablespaceLinks.push({ oid: name, location });
        result.directories.push({ path, mode: target.mode & 0o7777 });
        await visit(path, full);
      } else if (info.isDirectory()) {
        result.directories.push({ path, mode: info.mode & 0o7777 });
        await visit(path, full);
      } else if (info.isFile()) {
        result.files.push({ path, absolute: full, size: info.size, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs });
      }
      // Other symlinks (e.g. a pg_wal link) and special files are not data: skipped.
    }
  };
  await visit("", dataDir);
  return result;
};
