import type { Readable } from "node:stream";
import type { Storage, GetOptions, PutOptions, PutResult } from "./storage.js";

/** Reads a whole stream into one Buffer (for small objects: manifests, markers). */
export const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
};

/** Gets `key` into memory; throws STORAGE_NOT_FOUND when it is absent. */
export const getBuffer = async (storage: Storage, key: string, options?: GetOptions): Promise<Buffer> =>
  readAll(await storage.get(key, options));

/** Stores a JSON document atomically (pretty-printed, trailing newline). */
export const putJson = (storage: Storage, key: string, value: unknown, options?: PutOptions): Promise<PutResult> =>
  storage.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`), options);

/** Lists every key under `prefix` into an array (for prefixes known to be small). */
export const listAll = async (storage: Storage, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys;
};
