import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { compressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";

/** A WAL file read, hashed and compressed, ready to store. */
export interface PreparedWal {
  /** SHA-256 (hex) of the uncompressed file. */
  readonly sha256: string;
  readonly size: number;
  /** One zstd frame with content checksum. */
  readonly compressed: Uint8Array;
}

let buffer = Buffer.alloc(0);

// Reads the WAL file at `path` whole (into a buffer reused across calls on this thread), hashes and zstd-compresses
// it. Synchronous: it runs as the "wal" job on a worker thread of the background pusher, where blocking is free.
// Throws the fs error (ENOENT when the file is gone) or when the file grew while it was read.
export const prepareWal = (path: string, level: number): PreparedWal => {
  const fd = openSync(path, "r");
  try {
    const expected = fstatSync(fd).size;
    if (buffer.length < expected + 1) buffer = Buffer.allocUnsafe(Math.max(expected + 1, 16 * 1024 * 1024 + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw new Error(`'${path}' grew while it was read`);
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const data = buffer.subarray(0, length);
    return { sha256: sha256Of(data), size: length, compressed: compressBuffer(data, level) };
  } finally {
    closeSync(fd);
  }
};
