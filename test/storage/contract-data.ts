import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const MIB = 1024 * 1024;

/** A deterministic stream of `size` bytes (each MiB stamped with its index, so parts differ) and its SHA-256. */
export const makeDataStream = (size: number, seed = 1): { stream: () => Readable; sha256: string } => {
  const block = Buffer.alloc(MIB);
  for (let index = 0; index < MIB; index += 4) block.writeUInt32LE((index * 2654435761 + seed) >>> 0, index);
  const chunkAt = (offset: number): Buffer => {
    const chunk = Buffer.from(block.subarray(0, Math.min(MIB, size - offset)));
    if (chunk.length >= 8) chunk.writeDoubleLE(offset, 0);
    return chunk;
  };
  const hash = createHash("sha256");
  for (let offset = 0; offset < size; offset += MIB) hash.update(chunkAt(offset));
  return {
    sha256: hash.digest("hex"),
    stream: () =>
      Readable.from(
        (function* () {
          for (let offset = 0; offset < size; offset += MIB) yield chunkAt(offset);
        })(),
      ),
  };
};

/** SHA-256 and length of everything a stream yields. */
export const hashStream = async (stream: Readable): Promise<{ sha256: string; size: number }> => {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
};

/** A stream that yields `bytes` bytes and then fails (a source dying mid-upload). */
export const failingStream = (bytes: number): Readable =>
  Readable.from(
    (async function* () {
      for (let sent = 0; sent < bytes; sent += MIB) yield Buffer.alloc(Math.min(MIB, bytes - sent), 7);
      throw new Error("source failed on purpose");
    })(),
  );

// A full garbage collection (V8's gc exposed at run time), so memory samples count live buffers only.
const collectGarbage = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

const liveBuffers = (): number => {
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
};

/** Samples live array-buffer memory while `work` runs and returns its peak growth in bytes. */
export const peakBufferGrowth = async (work: () => Promise<unknown>): Promise<number> => {
  const base = liveBuffers();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, liveBuffers());
  }, 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return peak - base;
};
