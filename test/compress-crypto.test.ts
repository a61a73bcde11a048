import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  compressBuffer,
  createCompressStream,
  createDecompressStream,
  decompressBuffer,
} from "../src/compress/zstd.js";
import { HashStream, sha256Of } from "../src/crypto/hash.js";
import { readAll } from "../src/storage/read.js";

describe("zstd and SHA-256 stream filters", () => {
  it("compress | decompress round-trips and the hash filter sees the original bytes", async () => {
    const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 7)]);
    const before = new HashStream();
    const chunks: Buffer[] = [];
    await pipeline(Readable.from([data]), before, createCompressStream(3), async function* (source) {
      for await (const chunk of source) chunks.push(chunk as Buffer);
    });
    const compressed = Buffer.concat(chunks);
    expect(compressed.length).toBeLessThan(data.length / 2);
    expect(before.sha256).toBe(sha256Of(data));
    expect(before.bytes).toBe(data.length);
    const after = new HashStream();
    const restored = await readAll(Readable.from([compressed]).pipe(createDecompressStream()).pipe(after));
    expect(restored.equals(data)).toBe(true);
    expect(after.sha256).toBe(sha256Of(data));
  });

  it("rejects a corrupted frame", () => {
    const compressed = compressBuffer(Buffer.alloc(100_000, 1));
    const corrupt = Buffer.from(compressed);
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] ?? 0) ^ 0xff;
    expect(() => decompressBuffer(corrupt)).toThrow();
    expect(decompressBuffer(compressed).equals(Buffer.alloc(100_000, 1))).toBe(true);
  });
});
