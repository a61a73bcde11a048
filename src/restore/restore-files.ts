import { chmod, chown, lstat, open, readdir, rm, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { BackupManifest, ManifestFile } from "../backup/manifest.js";
import type { UnpackPiece } from "../backup/pieces.js";
import type { PiecePool } from "../backup/piece-pool.js";
import { ZopsError, errnoOf, localError } from "../errors/index.js";
import { forEachBounded } from "../flow/bounded.js";
import { syncPath } from "../fsio/sync.js";
import type { OsUser } from "../pg/os-user.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { planLanes } from "./lanes.js";
import { restoreFailure, type RestoreProblem } from "./restore-failure.js";

export interface RestoreProgress {
  readonly bytes: number;
  readonly total: number;
  readonly objects: number;
}

export interface RestoreFilesResult {
  /** Files written, and files a delta restore found already right. */
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly bytes: number;
  readonly downloaded: number;
}

/** How restoreFiles runs. */
export interface RestoreFilesOptions {
  readonly delta: boolean;
  readonly owner?: OsUser;
  readonly onProgress?: (progress: RestoreProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * Restores every file of the manifest under `dir`: downloads the objects in parallel, checks each object's and each
 * piece's SHA-256 on the pool threads and writes the pieces; with `delta`, keeps files whose content already matches
 * and removes files the backup does not have. After trying all objects, fails by the most telling problem.
 * @throws DISK_FULL (naming the file and the space needed), LOCAL_ACCESS or LOCAL_IO for this machine's disk; the
 * storage code (STORAGE_UNREACHABLE, STORAGE_NOT_FOUND for an object missing, STORAGE_IO) when an object cannot be
 * read; VERIFY_FAILED naming every damaged file.
 */
export const restoreFiles = async (
  storage: Storage,
  pool: PiecePool,
  manifest: BackupManifest,
  dir: string,
  options: RestoreFilesOptions,
): Promise<RestoreFilesResult> => {
  try {
    return await restoreInto(storage, pool, manifest, dir, options);
  } catch (error) {
    throw localError(error, `restore of backup ${manifest.id} into '${dir}'`);
  }
};

const restoreInto = async (
  storage: Storage,
  pool: PiecePool,
  manifest: BackupManifest,
  dir: string,
  options: RestoreFilesOptions,
): Promise<RestoreFilesResult> => {
  let removed = 0;
  let todo: ManifestFile[] = [...manifest.files];
  if (options.delta) {
    removed = await removeExtraFiles(dir, manifest);
    const checks = await Promise.all(
      todo.map(async (file) => {
        const info = await lstat(join(dir, file.path)).catch(() => undefined);
        if (!info?.isFile() || info.size !== file.size) return false;
        return pool.run({
          kind: "match",
          pieces: file.pieces.map((piece) => ({
            absolute: join(dir, file.path),
            offset: piece.fileOffset,
            length: piece.size,
            sha256: piece.sha256,
          })),
        });
      }),
    );
    todo = todo.filter((_, index) => !checks[index]);
  }
  const unchanged = manifest.files.length - todo.length;
  const byObject = new Map<string, UnpackPiece[]>();
  // One-piece files are created, written and finished by the thread that unpacks them; the few
  // multi-piece and empty files are created here first and finished after every piece is written.
  const finishHere: ManifestFile[] = [];
  const owner = options.owner ? { uid: options.owner.uid, gid: options.owner.gid } : {};
  for (const file of todo) {
    const absolute = join(dir, ...file.path.split("/"));
    const solo = file.pieces.length === 1;
    if (!solo) {
      finishHere.push(file);
      // Created empty: pieces written at their offsets extend it (no sparse pre-sizing).
      await (await open(absolute, "w", file.mode)).close();
    }
    for (const piece of file.pieces) {
      const list = byObject.get(piece.object) ?? [];
      list.push({
        path: file.path,
        absolute,
        fileOffset: piece.fileOffset,
        frameOffset: piece.frameOffset,
        frameLength: piece.frameLength,
        size: piece.size,
        sha256: piece.sha256,
        ...(solo ? { whole: { mode: file.mode, mtimeMs: file.mtimeMs, ...owner } } : {}),
      });
      byObject.set(piece.object, list);
    }
  }
  const objectSha = new Map(manifest.objects.map((object) => [object.key, object.sha256]));
  const objectSize = new Map(manifest.objects.map((object) => [object.key, object.size]));
  const total = todo.reduce((sum, file) => sum + file.size, 0);
  const problems: RestoreProblem[] = [];
  const progress = { bytes: 0, total, objects: 0, downloaded: 0 };
  // A multi-piece file is finished (mode, mtime, owner, fsync) as soon as its last piece is written, while the
  // lanes go on: pgBackRest's one fsync per file, without the pool threads waiting for it.
  const remaining = new Map(finishHere.map((file) => [file.path, file.pieces.length]));
  const multi = new Map(finishHere.map((file) => [file.path, file]));
  const finishing: Promise<void>[] = [];
  const finishFile = async (file: ManifestFile): Promise<void> => {
    const absolute = join(dir, ...file.path.split("/"));
    await chmod(absolute, file.mode);
    await utimes(absolute, new Date(file.mtimeMs), new Date(file.mtimeMs));
    if (options.owner) await chown(absolute, options.owner.uid, options.owner.gid);
    await syncPath(absolute);
  };
  // Until then, what its pieces wrote is flushed in the background (one flush per file at a time), so the disk
  // is busy from the start instead of taking a whole 1 GiB segment in its final fsync.
  const flushing = new Map<string, Promise<void>>();
  const pieceWritten = (path: string): void => {
    const left = (remaining.get(path) ?? 0) - 1;
    remaining.set(path, left);
    const file = multi.get(path);
    if (!file) return;
    const absolute = join(dir, ...file.path.split("/"));
    if (left === 0) {
      // Handled at once: a failure (EIO, ENOSPC...) is a problem of this restore, never an unhandled rejection.
      const finish = (flushing.get(path) ?? Promise.resolve()).then(() => finishFile(file));
      finishing.push(
        finish.catch((error: unknown) => {
          const errno = errnoOf(error);
          problems.push({
            path: file.path,
            message: `file '${file.path}' could not be finished in ${dir}: ${(error as Error).message}`,
            local: errno ? { errno, syscall: (error as NodeJS.ErrnoException).syscall, absolute } : undefined,
          });
        }),
      );
    } else if (!flushing.has(path)) {
      const flush = syncPath(absolute, { dataOnly: true })
        .catch(() => undefined)
        .finally(() => flushing.delete(path));
      flushing.set(path, flush);
    }
  };
  const unreadable = (key: string, pieces: readonly UnpackPiece[], error: unknown): RestoreProblem => ({
    path: pieces[0]?.path,
    message: `object '${key}' (holding '${pieces[0]?.path}') could not be read: ${(error as Error).message}`,
    readError: error,
    key,
  });
  const unpack = async (key: string, pieces: UnpackPiece[], data: Promise<Buffer> | undefined): Promise<void> => {
    const objectSha256 = objectSha.get(key);
    try {
      if (!data) {
        // A file repository's objects are read by the pool thread itself: no copy through this thread.
        problems.push(...(await pool.run({ kind: "unpack", path: storage.pathOf?.(key), key, objectSha256, pieces })));
        progress.downloaded += objectSize.get(key) ?? 0;
      } else {
        const bytes = await data;
        progress.downloaded += bytes.length;
        const owned =
          bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Buffer.from(bytes);
        problems.push(
          ...(await pool.run({ kind: "unpack", data: owned, key, objectSha256, pieces }, [
            owned.buffer as ArrayBuffer,
          ])),
        );
      }
    } catch (error) {
      // A dead thread or closed pool is a bug, not the backup's fault.
      if (error instanceof ZopsError && error.code === "INTERNAL") throw error;
      problems.push(unreadable(key, pieces, error));
      return;
    }
    progress.bytes += pieces.reduce((sum, piece) => sum + piece.size, 0);
    progress.objects += 1;
    if (problems.length === 0) for (const piece of pieces) if (!piece.whole) pieceWritten(piece.path);
    options.onProgress?.({ bytes: progress.bytes, total, objects: progress.objects });
  };
  const local = storage.capabilities.localPath && storage.pathOf !== undefined;
  const download = (key: string): Promise<Buffer> | undefined => {
    if (local) return undefined;
    const data = getBuffer(storage, key, { signal: options.signal });
    data.catch(() => undefined); // awaited (and reported) by unpack
    return data;
  };
  // One object in flight per lane (two threads never write the same file at once, see lanes.ts); a remote
  // object is downloaded while the lane's previous one is unpacked.
  const lanes = planLanes(
    [...byObject.entries()].map(([key, pieces]) => ({
      group: pieces[0]?.path ?? key,
      bytes: pieces.reduce((sum, piece) => sum + piece.size, 0),
      value: { key, pieces },
    })),
    pool.size,
  );
  await Promise.all(
    Array.from({ length: pool.size }, async (_, lane) => {
      let current = lanes.take(lane);
      let data = current && download(current.key);
      while (current) {
        const next = lanes.take(lane);
        const nextData = next && download(next.key);
        await unpack(current.key, current.pieces, data);
        current = next;
        data = nextData;
      }
    }),
  );
  await Promise.all(finishing);
  if (problems.length > 0) throw restoreFailure(problems, { backupId: manifest.id, dir, neededBytes: total });
  // Empty files (no pieces) are finished here.
  for (const file of finishHere) if (file.pieces.length === 0) await finishFile(file);
  // Files are synced as they are finished (one-piece files on the pool threads); their directory entries last.
  await forEachBounded(["", ...manifest.directories.map((entry) => entry.path)], 8, (path) =>
    syncPath(path === "" ? dir : join(dir, ...path.split("/"))),
  );
  return { written: todo.length, unchanged, removed, bytes: total, downloaded: progress.downloaded };
};

// Delta restore: removes files and links under `dir` that the backup does not have (PostgreSQL must be stopped).
// Returns how many were removed.
const removeExtraFiles = async (dir: string, manifest: BackupManifest): Promise<number> => {
  const files = new Set(manifest.files.map((file) => file.path));
  const directories = new Set(manifest.directories.map((entry) => entry.path));
  let removed = 0;
  const visit = async (relative: string): Promise<void> => {
    const absolute = relative === "" ? dir : join(dir, ...relative.split("/"));
    for (const name of await readdir(absolute)) {
      const path = relative === "" ? name : `${relative}/${name}`;
      const info = await lstat(join(absolute, name));
      if (info.isDirectory()) {
        if (directories.has(path) || path === "pg_wal" || path === "pg_wal/archive_status") await visit(path);
        else {
          await rm(join(absolute, name), { recursive: true, force: true });
          removed += 1;
        }
      } else if (info.isSymbolicLink() && relative === "pg_tblspc" && directories.has(path)) {
        await visit(path);
      } else if (!files.has(path)) {
        await rm(join(absolute, name), { force: true });
        removed += 1;
      }
    }
  };
  await visit("");
  return removed;
};
