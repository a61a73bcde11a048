import { createRequire } from "node:module";
import type { Transform } from "node:stream";
import type * as Zstd from "zstd-napi";
import { ZopsError } from "../errors/index.js";

const require = createRequire(import.meta.url);
let zstd: typeof Zstd | undefined;

// Loads the native zstd binding once, with a clear error when it was not built.
const binding = (): typeof Zstd => {
  if (zstd) return zstd;
  try {
    zstd = require("zstd-napi") as typeof Zstd;
    return zstd;
  } catch (error) {
    throw new ZopsError("INTERNAL", `the zstd binding (zstd-napi) could not be loaded: ${(error as Error).message}`, {
      hint: "reinstall zops with build tools present (npm ci needs python3, make and g++ to build zstd-napi)",
      cause: error,
    });
  }
};

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
