import type { Transform } from "node:stream";
import { zstdApi } from "./native.js";

const binding = zstdApi;

/** A zstd compressing Transform (frame with content checksum); level 1-19. */
export const createCompressStream = (level = 3): Transform =>
  new (binding().CompressStream)({ compressionLevel: level, checksumFlag: true });

/** A zstd decompressing Transform; a corrupt frame errors the stream. */
export const createDecompressStream = (): Transform => new (binding().DecompressStream)();

/** Compresses a whole buffer in one call (small objects such as WAL segments and manifests). */
export const compressBuffer = (data: Uint8Array, level = 3): Buffer =>
  binding().compress(data, { compressionLevel: level, checksumFlag: true });

/** Decompresses a whole buffer; throws on a corrupt frame. */
export const decompressBuffer = (data: Uint8Array): Buffer => binding().decompress(data);
