import { readFile } from "node:fs/promises";
import { compressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { walFileKind, walKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
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

// Hashes a WAL file already read into memory.
export const hashWal = (data: Uint8Array): string => sha256Of(data);

// Archives one WAL file: one prefix listing, then (when absent) one atomic put of the zstd-compressed bytes under
// its content-addressed key. Idempotent: identical content already stored is success; different content throws
// STORAGE_CONFLICT and writes nothing. Storage calls are retried/timed out by the storage wrapper.
export const pushWalFile = async (storage: Storage, path: string, name: string, options: { level: number; signal?: AbortSignal }): Promise<PushedWal> => {
  if (!walFileKind(name)) {
    throw new ZopsError("USAGE", `'${path}' is not a WAL file PostgreSQL archives (segment, .history, .backup or .partial)`, { hint: "archive_command must pass %p: wal-push %p" });
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new ZopsError("PRECONDITION", `unable to read WAL file '${path}': ${(error as Error).message}`, {
      hint: "archive_command must pass %p and run as the postgres OS user from the data directory",
      cause: error,
    });
  }
  const sha256 = hashWal(data);
  const existing = await findWalObject(storage, name, { signal: options.signal });
  if (existing) {
    if (existing.sha256 === sha256) return { name, key: existing.key, sha256, size: data.length, status: "exists" };
    throw new ZopsError("STORAGE_CONFLICT", `WAL file ${name} is already archived in '${storage.location}' with different content (stored sha256 ${existing.sha256.slice(0, 12)}…, local ${sha256.slice(0, 12)}…); nothing was overwritten`, {
      hint: "another cluster or a restored copy of this one archived into this repository: give each cluster (and each restore that is promoted) its own repository, then investigate before deleting anything",
      details: { name, storedKey: existing.key, localSha256: sha256 },
    });
  }
  const key = walKey(name, sha256);
  const compressed = compressBuffer(data, options.level);
  await storage.put(key, compressed, { size: compressed.length, signal: options.signal });
  return { name, key, sha256, size: data.length, status: "stored" };
};
