import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createCompressStream } from "../compress/zstd.js";
import { HashStream } from "../crypto/hash.js";
import { countBytes } from "./count-stream.js";
import { uploadsBlobKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import type { IndexedObject } from "./blob-index.js";

/** Streams a file through SHA-256 without keeping it (read-only). */
export const hashFile = async (
  path: string,
  onBytes?: (bytes: number) => void,
): Promise<{ sha256: string; size: number }> => {
  const hash = new HashStream();
  await pipeline(createReadStream(path), hash, countBytes(onBytes ?? (() => undefined)), async function* (source) {
    for await (const _ of source) void _;
  });
  return { sha256: hash.sha256, size: hash.bytes };
};

/**
 * Uploads a large file as its own zstd object keyed by its content SHA-256 `sha256`; returns undefined (and deletes the
 * object) when the file changed since it was hashed. Atomic (content-addressed key).
 */
export const uploadLargeFile = async (
  storage: Storage,
  path: string,
  sha256: string,
  level: number,
  onBytes?: (bytes: number) => void,
): Promise<IndexedObject | undefined> => {
  const key = uploadsBlobKey(sha256);
  let hash = new HashStream();
  const result = await storage.put(key, () => {
    hash = new HashStream();
    const counter = countBytes(onBytes ?? (() => undefined));
    void pipeline(createReadStream(path), hash, createCompressStream(level), counter).catch((error: unknown) =>
      counter.destroy(error as Error),
    );
    return counter;
  });
  if (hash.sha256 !== sha256) {
    await storage.delete([key]);
    return undefined;
  }
  return { key, size: result.size, blobs: [[sha256, 0, result.size, hash.bytes]] };
};
