import { compressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { readWholeFile } from "../backup/pieces.js";

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
 * runs as the "wal" job on a worker thread of the background pusher, where blocking is free. Throws the fs error
 * (ENOENT when the file is gone).
 */
export const prepareWal = (path: string, level: number): PreparedWal => {
  const data = readWholeFile(path);
  return { sha256: sha256Of(data), size: data.length, compressed: compressBuffer(data, level) };
};
