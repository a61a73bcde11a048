import { readFile } from "node:fs/promises";
import { compressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { walFileKind, walKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import type { PreparedWal } from "./prepare.js";
import { findWalObject } from "./catalog.js";

/** Outcome of archiving one WAL file. */
export interface PushedWal {
  readonly name: string;
  readonly key: string;
  readonly sha256: string;
  /** Uncompressed bytes. */
  readonly size: number;
  /** `stored`: uploaded now; `exists`: the repository already held identical content. */
  readonly status: "stored" | "exists";
}

/** Hashes a WAL file already read into memory. */
export const hashWal = (data: Uint8Array): string => sha256Of(data);

/**
 * Archives one WAL file: one prefix listing, then (when absent) one atomic put of the zstd-compressed bytes under its
 * content-addressed key. Idempotent: identical content already stored is success; different content throws
 * STORAGE_CONFLICT and writes nothing. Storage calls are retried/timed out by the storage wrapper. With `prepare` (the
 * background pusher's worker threads) reading, hashing and compressing happen there instead of on this thread.
 */
export const pushWalFile = async (
  storage: Storage,
  path: string,
  name: string,
  options: { level: number; signal?: AbortSignal; prepare?: (path: string, level: number) => Promise<PreparedWal> },
): Promise<PushedWal> => {
  if (!walFileKind(name)) {
    throw new ZopsError(
      "USAGE",
      `'${path}' is not a WAL file PostgreSQL archives (segment, .history, .backup or .partial)`,
      { hint: "archive_command must pass %p: wal-push %p" },
    );
  }
  if (options.prepare) {
    const prepared = await options.prepare(path, options.level).catch((error: unknown) => {
      throw unreadable(path, error);
    });
    return storeWal(storage, name, prepared.sha256, prepared.size, () => prepared.compressed, options.signal);
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw unreadable(path, error);
  }
  return storeWal(storage, name, hashWal(data), data.length, () => compressBuffer(data, options.level), options.signal);
};

const unreadable = (path: string, error: unknown): ZopsError =>
  new ZopsError("PRECONDITION", `unable to read WAL file '${path}': ${(error as Error).message}`, {
    hint: "archive_command must pass %p and run as the postgres OS user from the data directory",
    cause: error,
  });

// Stores a hashed WAL file unless the repository holds it already (see pushWalFile); `compress` runs only when it must
// be stored.
const storeWal = async (
  storage: Storage,
  name: string,
  sha256: string,
  size: number,
  compress: () => Uint8Array,
  signal: AbortSignal | undefined,
): Promise<PushedWal> => {
  const existing = await findWalObject(storage, name, { signal });
  if (existing) {
    if (existing.sha256 === sha256) return { name, key: existing.key, sha256, size, status: "exists" };
    throw new ZopsError(
      "STORAGE_CONFLICT",
      `WAL file ${name} is already archived in '${storage.location}' ` +
        `with different content (stored sha256 ` +
        `${existing.sha256.slice(0, 12)}…, local ` +
        `${sha256.slice(0, 12)}…); nothing was overwritten`,
      {
        hint:
          "another cluster or a restored copy of this one archived into " +
          "this repository: give each cluster (and each restore that is " +
          "promoted) its own repository, then investigate before deleting anything",
        details: { name, storedKey: existing.key, localSha256: sha256 },
      },
    );
  }
  const key = walKey(name, sha256);
  const compressed = compress();
  await storage.put(key, compressed, { size: compressed.length, signal });
  return { name, key, sha256, size, status: "stored" };
};
