import type * as Binding from "zstd-napi/binding.js";
import { zstdBinding } from "./native.js";

// zstd frames with reused buffers, for the worker threads: one compression and one decompression
// context per thread and output buffers that grow but are never reallocated per piece, so a
// 16 MiB piece costs no fresh 16 MiB allocation (which V8 frees late, inflating RSS).

const load = zstdBinding;

let cctx: Binding.CCtx | undefined;
let cctxLevel = -1;
let dctx: Binding.DCtx | undefined;
let scratch = Buffer.alloc(0);

const scratchOf = (size: number): Buffer => {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
};

/**
 * Compresses `data` into one frame (content size and content checksum in the frame); returns a view of a per-thread
 * buffer, valid until the next call. Not reentrant.
 */
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

const STREAM_CHUNK = 256 * 1024;
let streamOut = Buffer.alloc(0);

/**
 * Decompresses one frame of known content size in cache-sized chunks, handing each to `onChunk` (a view valid only
 * during the call) while it is still in the CPU cache: hashing and writing 16 MiB pieces from a 16 MiB buffer made
 * three passes through main memory, and restore was bound by them. Returns the content size. Throws when the frame is
 * corrupt, truncated, followed by other data, or its size is missing, above `maxSize` or not what it decompressed to.
 * Not reentrant.
 */
export const decompressFrameChunks = (frame: Uint8Array, maxSize: number, onChunk: (chunk: Buffer) => void): number => {
  const zstd = load();
  dctx ??= new zstd.DCtx();
  const size = zstd.getFrameContentSize(frame);
  if (size === null || size > maxSize)
    throw new Error(`frame content size ${size === null ? "missing" : `${size} exceeds ${maxSize}`}`);
  if (streamOut.length < STREAM_CHUNK) streamOut = Buffer.allocUnsafe(STREAM_CHUNK);
  let input = frame;
  let total = 0;
  try {
    for (;;) {
      const [remaining, produced, consumed] = dctx.decompressStream(streamOut, input);
      input = input.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > size) throw new Error(`frame decompressed to more than the ${size} bytes its header says`);
        onChunk(streamOut.subarray(0, produced));
      }
      if (remaining === 0) break;
      if (produced === 0 && consumed === 0) throw new Error("frame is truncated");
    }
  } catch (error) {
    dctx.reset(zstd.ResetDirective.sessionOnly);
    throw error;
  }
  if (input.length > 0) throw new Error(`${input.length} bytes after the end of the frame`);
  if (total !== size) throw new Error(`frame decompressed to ${total} bytes, header says ${size}`);
  return total;
};
