import { closeSync, fchmodSync, fchownSync, futimesSync, openSync, unlinkSync, writeSync } from "node:fs";
import { chmod, lchown, lutimes, mkdir, symlink, unlink, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isZopsError, ZopsError, withLocalErrors } from "../errors/index.js";
import type { Storage } from "../storage/storage.js";
import { readUploadSnapshot } from "./catalog.js";
import { isSelected } from "./entry-path.js";
import type { SnapshotEntry } from "./format.js";
import { groupByObject } from "./locate.js";
import { mapBounded } from "../flow/bounded.js";
import { yieldEvery } from "./yield.js";
import { contentFromSpan, isPackKey, readPackSpan, streamBlob, type LocatedFile } from "./read-blob.js";

export interface RestoreUploadsOptions {
  /** Restore only these paths (absolute as in uploads.paths, or relative to `/`) and what lies under them. */
  readonly paths?: readonly string[];
  /** Objects downloaded in parallel (default 4). */
  readonly concurrency?: number;
  /** Restore owners (default: when running as root). */
  readonly owners?: boolean;
  readonly onProgress?: (progress: { filesDone: number; filesTotal: number; bytesDownloaded: number }) => void;
}

export interface RestoreUploadsResult {
  readonly id: string;
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly bytes: number;
  readonly bytesDownloaded: number;
  readonly durationMs: number;
}

const ignoreMissing = (error: unknown) => {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
};

/**
 * Restores snapshot `snapshot` (id or "latest"), or the given paths of it, under `targetDir` (each entry at
 * targetDir/<original path>); every file's SHA-256 is checked, modes, owners (as root) and mtimes restored, symlinks
 * recreated as symlinks. Existing files at those paths are replaced.
 * @throws NOT_FOUND for an unknown snapshot or path; VERIFY_FAILED naming every damaged file and missing object (after
 * restoring everything else); DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the local path that could not be written.
 */
export const restoreUploads = (
  storage: Storage,
  snapshot: string,
  targetDir: string,
  options: RestoreUploadsOptions = {},
): Promise<RestoreUploadsResult> =>
  withLocalErrors(`unable to restore the uploads under '${targetDir}'`, undefined, () =>
    restoreUploadsTo(storage, snapshot, targetDir, options),
  );

const restoreUploadsTo = async (
  storage: Storage,
  snapshot: string,
  targetDir: string,
  options: RestoreUploadsOptions,
): Promise<RestoreUploadsResult> => {
  const startedMs = performance.now();
  const manifest = await readUploadSnapshot(storage, snapshot);
  const selected = selectEntries(manifest.entries, options.paths, manifest.id);
  const owners = options.owners ?? process.getuid?.() === 0;
  const destination = (entry: SnapshotEntry) => join(targetDir, ...entry.path.split("/"));
  const progress = {
    filesDone: 0,
    filesTotal: selected.filter((entry) => entry.type === "file").length,
    bytesDownloaded: 0,
  };
  const failures: string[] = [];
  let bytes = 0;

  await mkdir(targetDir, { recursive: true });
  for (const entry of selected)
    if (entry.type === "dir") await mkdir(destination(entry), { recursive: true, mode: 0o700 });

  const madeDirs = new Set<string>();
  const pause = yieldEvery(32);
  const finishFile = async (file: LocatedFile, write: (path: string) => Promise<number>) => {
    const path = destination(file.entry);
    const parent = dirname(path);
    if (!madeDirs.has(parent)) {
      await mkdir(parent, { recursive: true });
      madeDirs.add(parent);
    }
    try {
      // Not `bytes += await …`: that reads `bytes` before the await, and files restored concurrently would overwrite
      // each other's sums (the total came out near the largest file's size).
      const written = await write(path);
      bytes += written;
    } catch (error) {
      await unlink(path).catch(() => undefined);
      throw error;
    }
    progress.filesDone += 1;
    if (progress.filesDone % 200 === 0 || progress.filesDone === progress.filesTotal)
      options.onProgress?.({ ...progress });
  };
  // Creates the file exclusively (replacing whatever was there, never writing through a symlink) and sets mode, owner
  // and mtime on the open descriptor. Synchronous: for small files a thread-pool round trip per call costs more than
  // the call.
  const writeSmallFile = (path: string, content: Buffer, entry: SnapshotEntry): number => {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      unlinkSync(path);
      fd = openSync(path, "wx", 0o600);
    }
    try {
      writeSync(fd, content);
      fchmodSync(fd, entry.mode);
      if (owners) fchownSync(fd, entry.uid, entry.gid);
      futimesSync(fd, entry.mtime / 1000, entry.mtime / 1000);
    } finally {
      closeSync(fd);
    }
    return content.length;
  };
  const applyAttributes = async (path: string, entry: SnapshotEntry) => {
    await chmod(path, entry.mode);
    if (owners) await lchown(path, entry.uid, entry.gid);
    await utimes(path, entry.mtime / 1000, entry.mtime / 1000);
  };
  const restoreGroup = async ([key, files]: [string, LocatedFile[]]) => {
    try {
      if (isPackKey(key)) {
        const span = await readPackSpan(storage, key, files);
        progress.bytesDownloaded += span.data.length;
        for (const file of files) {
          await pause();
          try {
            const content = contentFromSpan(span, file, `/${file.entry.path}`);
            await finishFile(file, async (path) => writeSmallFile(path, content, file.entry));
          } catch (error) {
            if (!isZopsError(error, "VERIFY_FAILED")) throw error;
            failures.push(error.message);
          }
        }
      } else {
        for (const file of files) {
          const stream = (path: string) =>
            streamBlob(storage, file, `/${file.entry.path}`, path, (n) => (progress.bytesDownloaded += n));
          await finishFile(file, async (path) => {
            await unlink(path).catch(ignoreMissing);
            const written = await stream(path);
            await applyAttributes(path, file.entry);
            return written;
          }).catch((error: unknown) => {
            if (!isZopsError(error, "VERIFY_FAILED")) throw error;
            failures.push(error.message);
          });
        }
      }
    } catch (error) {
      if (!isZopsError(error, "STORAGE_NOT_FOUND")) throw error;
      failures.push(
        `object '${key}' is missing from the repository (needed by ` +
          `${files.length} file(s), e.g. '/${files[0]?.entry.path}')`,
      );
    }
  };
  await mapBounded([...groupByObject(manifest, selected)], options.concurrency ?? 4, restoreGroup);

  for (const entry of selected) {
    if (entry.type !== "symlink" || entry.target === undefined) continue;
    const path = destination(entry);
    await mkdir(dirname(path), { recursive: true });
    await unlink(path).catch(ignoreMissing);
    await symlink(entry.target, path);
    if (owners) await lchown(path, entry.uid, entry.gid);
    await lutimes(path, entry.mtime / 1000, entry.mtime / 1000);
  }
  const dirs = selected
    .filter((entry) => entry.type === "dir")
    .sort((a, b) => b.path.split("/").length - a.path.split("/").length);
  for (const entry of dirs) {
    const path = destination(entry);
    await chmod(path, entry.mode);
    if (owners) await lchown(path, entry.uid, entry.gid);
    await utimes(path, entry.mtime / 1000, entry.mtime / 1000);
  }
  if (failures.length > 0) {
    throw new ZopsError(
      "VERIFY_FAILED",
      `uploads snapshot ${manifest.id}: ${failures.length} problem(s) ` +
        `during restore to '${targetDir}': ` +
        `${failures.slice(0, 5).join("; ")}${failures.length > 5 ? "; ..." : ""}`,
      {
        hint:
          "the named objects are damaged or missing in the repository; " +
          "restore an older snapshot for those files (`zops verify` lists " +
          "all problems)",
        details: { snapshot: manifest.id, failures },
      },
    );
  }
  return {
    id: manifest.id,
    files: progress.filesDone,
    dirs: dirs.length,
    symlinks: selected.filter((entry) => entry.type === "symlink").length,
    bytes,
    bytesDownloaded: progress.bytesDownloaded,
    durationMs: performance.now() - startedMs,
  };
};

// The entries to restore: all, or those at/under the selectors; throws NOT_FOUND for a selector that matches nothing.
const selectEntries = (
  entries: readonly SnapshotEntry[],
  selectors: readonly string[] | undefined,
  id: string,
): SnapshotEntry[] => {
  if (!selectors || selectors.length === 0) return [...entries];
  for (const selector of selectors) {
    if (!entries.some((entry) => isSelected(entry.path, selector))) {
      throw new ZopsError("NOT_FOUND", `path '${selector}' is not in uploads snapshot ${id}`, {
        hint: "paths are the original absolute paths, e.g. /home/zulip/uploads/avatars/1.png",
      });
    }
  }
  return entries.filter((entry) => selectors.some((selector) => isSelected(entry.path, selector)));
};
