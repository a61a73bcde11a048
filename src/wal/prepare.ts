import { compressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { readWholeFile } from "../fsio/read-whole-file.js";
import type { JobHandlers } from "../workers/protocol.js";
import { transferOf } from "../workers/serve.js";

/** A WAL file read, hashed and compressed, ready to store. */
export interface PreparedWal {
  /** SHA-256 (hex) of the uncompressed file. */
  readonly sha256: string;
  readonly size: number;
  /** One zstd frame with content checksum. */
  readonly compressed: Uint8Array;
}

/**
 * Reads the WAL file at `path` whole (into the thread's reused buffer), hashes and zstd-compresses it. Synchronous: it
 * runs as the "prepare-wal" job on a worker thread of the background pusher, where blocking is free. Throws the fs
 * error (ENOENT when the file is gone).
 */
export const prepareWal = (path: string, level: number): PreparedWal => {
  const data = readWholeFile(path);
  return { sha256: sha256Of(data), size: data.length, compressed: compressBuffer(data, level) };
};

/** The pool jobs of the WAL background pusher. */
export type WalJobs = {
  readonly "prepare-wal": { readonly input: { readonly path: string; readonly level: number }; result: PreparedWal };
};

/** The worker-thread handlers of WalJobs (registered by src/bin/zops-worker.ts). */
export const walJobHandlers: JobHandlers<WalJobs> = {
  "prepare-wal": ({ path, level }) => {
    const prepared = prepareWal(path, level);
    return { result: prepared, transfer: transferOf(prepared.compressed) };
  },
};
