import { Header } from "tar";
import { compressBuffer, decompressBuffer } from "../compress/zstd.js";
import { ZopsError } from "../errors/index.js";

// A pack is a tar archive whose every entry (header + content + padding) is its own zstd
// frame, followed by a frame holding the two zero blocks that end a tar. Concatenated zstd
// frames form one valid zstd stream, so `zstd -dc pack.tar.zst | tar -x` works without zops,
// and one file can be read with a ranged GET of its frame.

const BLOCK = 512;

/** Encodes `content` as a tar entry named `sha256` and compresses it into one zstd frame (pure). */
export const encodeFrame = (sha256: string, content: Uint8Array, level: number): Buffer => {
  const padded = Math.ceil(content.length / BLOCK) * BLOCK;
  const buffer = Buffer.alloc(BLOCK + padded);
  new Header({
    path: sha256,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: content.length,
    mtime: new Date(0),
    type: "File",
  }).encode(buffer, 0);
  buffer.set(content, BLOCK);
  return compressBuffer(buffer, level);
};

/** The frame that ends a pack's tar archive (two zero blocks). */
export const endFrame = (level: number): Buffer => compressBuffer(Buffer.alloc(2 * BLOCK), level);

/** Decompresses one frame and returns its tar entry's name and content; throws VERIFY_FAILED on a corrupt frame. */
export const decodeFrame = (frame: Uint8Array, where: string): { name: string; content: Buffer } => {
  let data: Buffer;
  try {
    data = decompressBuffer(frame);
  } catch (error) {
    throw new ZopsError("VERIFY_FAILED", `${where}: corrupt zstd frame (${(error as Error).message})`, {
      cause: error,
    });
  }
  const header = data.length >= BLOCK ? new Header(data, 0) : undefined;
  if (
    !header?.cksumValid ||
    header.path === undefined ||
    header.size === undefined ||
    data.length < BLOCK + header.size
  ) {
    throw new ZopsError("VERIFY_FAILED", `${where}: the frame does not hold a valid tar entry`);
  }
  return { name: header.path, content: data.subarray(BLOCK, BLOCK + header.size) };
};
