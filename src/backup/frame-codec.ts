import { createRequire } from "node:module";
import type * as Binding from "zstd-napi/binding.js";
import { ZopsError } from "../errors/index.js";

// zstd frames with reused buffers, for the worker threads: one compression and one decompression
// context per thread and output buffers that grow but are never reallocated per piece, so a
// 16 MiB piece costs no fresh 16 MiB allocation (which V8 frees late, inflating RSS).

const require = createRequire(import.meta.url);
let binding: typeof Binding | undefined;
const load = (): typeof Binding => {
  try {
    binding ??= require("zstd-napi/binding") as typeof Binding;
    return binding;
  } catch (error) {
    throw new ZopsError("INTERNAL", `the zstd binding (zstd-napi) could not be loaded: ${(error as Error).message}`, { hint: "reinstall zops with build tools present", cause: error });
  }
};

let cctx: Binding.CCtx | undefined;
let cctxLevel = -1;
let dctx: Binding.DCtx | undefined;
let scratch = Buffer.alloc(0);

const scratchOf = (size: number): Buffer => {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
};

// Compresses `data` into one frame (content size and content checksum in the frame); returns a view of a per-thread buffer, valid until the next call. Not reentrant.
export const compressFrame = (data: Uint8Array, level: number): Buffer => {
  const zstd = load();
  if (!cctx || cctxLevel !== level) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, level);
    cctx.setParameter(zstd.CParameter.checksumFlag, 1);
    cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
    cctxLevel = level;
  }
  const output = scratchOf(zstd.compressBound(data.length));
  const written = cctx.compress2(output, data);
  return output.subarray(0, written);
};

let plain = Buffer.alloc(0);

// Decompresses one frame of known content size into a per-thread buffer; the view is valid until the next call. Throws when the frame is corrupt or its size is missing or above `maxSize`.
export const decompressFrame = (frame: Uint8Array, maxSize: number): Buffer => {
  const zstd = load();
  dctx ??= new zstd.DCtx();
  const size = zstd.getFrameContentSize(frame);
  if (size === null || size > maxSize) throw new Error(`frame content size ${size === null ? "missing" : `${size} exceeds ${maxSize}`}`);
  if (plain.length < size) plain = Buffer.allocUnsafe(Math.max(size, plain.length * 2));
  const written = dctx.decompress(plain.subarray(0, size), frame);
  if (written !== size) throw new Error(`frame decompressed to ${written} bytes, header says ${size}`);
  return plain.subarray(0, size);
};
