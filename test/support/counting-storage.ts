import { Transform } from "node:stream";
import { openBody } from "../../src/storage/body.js";
import type { GetOptions, PutBody, PutOptions, Storage } from "../../src/storage/storage.js";

/**
 * A Storage wrapper that counts what goes through it (bytes written per key, gets and bytes read), for asserting on
 * transfer volumes.
 */
export interface CountingStorage extends Storage {
  readonly written: Map<string, number>;
  readonly reads: { gets: number; bytes: number; ranged: number; rangedBytes: number };
  // Sum of bytes written to keys starting with `prefix` since the last reset.
  writtenUnder(prefix: string): number;
  reset(): void;
}

/** Wraps `inner` so that every put and get is counted; behaviour is otherwise unchanged. */
export const countingStorage = (inner: Storage): CountingStorage => {
  const written = new Map<string, number>();
  const reads = { gets: 0, bytes: 0, ranged: 0, rangedBytes: 0 };
  const counted = (body: PutBody, key: string) => () => {
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        written.set(key, size);
        callback(null, chunk);
      },
    });
    return openBody(body).pipe(counter);
  };
  return {
    location: inner.location,
    capabilities: inner.capabilities,
    written,
    reads,
    put: (key: string, body: PutBody, options?: PutOptions) => inner.put(key, counted(body, key), options),
    get: async (key: string, options?: GetOptions) => {
      reads.gets += 1;
      if (options?.range) reads.ranged += 1;
      const stream = await inner.get(key, options);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          reads.bytes += chunk.length;
          if (options?.range) reads.rangedBytes += chunk.length;
          callback(null, chunk);
        },
      });
      stream.on("error", (error) => counter.destroy(error));
      return stream.pipe(counter);
    },
    stat: (key, options) => inner.stat(key, options),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (keys, options) => inner.delete(keys, options),
    close: inner.close ? () => inner.close?.() ?? Promise.resolve() : undefined,
    writtenUnder: (prefix: string) =>
      [...written].filter(([key]) => key.startsWith(prefix)).reduce((sum, [, size]) => sum + size, 0),
    reset: () => {
      written.clear();
      reads.gets = reads.bytes = reads.ranged = reads.rangedBytes = 0;
    },
  };
};
