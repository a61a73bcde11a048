import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDecompressStream } from "../compress/zstd.js";
import { HashStream, sha256Of } from "../crypto/hash.js";
import { ZopsError, errnoOf, localError } from "../errors/index.js";
import { UPLOADS_PACKS_PREFIX } from "../repo/layout.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import type { SnapshotEntry } from "./format.js";
import { countBytes } from "./count-stream.js";
import { decodeFrame } from "./frame.js";

/** A file entry with its content location resolved. */
export interface LocatedFile {
  readonly entry: SnapshotEntry & { sha256: string; offset: number; length: number };
  readonly key: string;
}

/** True for pack keys (many frames) as opposed to one-file blob objects. */
export const isPackKey = (key: string): boolean => key.startsWith(UPLOADS_PACKS_PREFIX);

/**
 * Reads the byte span of a pack covering every frame of `files` in one ranged GET; throws STORAGE_NOT_FOUND when the
 * pack is missing.
 */
export const readPackSpan = async (
  storage: Storage,
  key: string,
  files: readonly LocatedFile[],
): Promise<{ start: number; data: Buffer }> => {
  const start = Math.min(...files.map((file) => file.entry.offset));
  const end = Math.max(...files.map((file) => file.entry.offset + file.entry.length));
  return { start, data: await getBuffer(storage, key, { range: { start, end } }) };
};

/**
 * Extracts one file's content from a pack span and checks its SHA-256; throws VERIFY_FAILED naming the file and the
 * pack.
 */
export const contentFromSpan = (
  span: { start: number; data: Buffer },
  file: LocatedFile,
  displayPath: string,
): Buffer => {
  const where = `file '${displayPath}' in pack '${file.key}'`;
  const frame = span.data.subarray(file.entry.offset - span.start, file.entry.offset - span.start + file.entry.length);
  if (frame.length !== file.entry.length)
    throw new ZopsError("VERIFY_FAILED", `${where}: the pack is shorter than recorded`);
  const { content } = decodeFrame(frame, where);
  if (sha256Of(content) !== file.entry.sha256) throw new ZopsError("VERIFY_FAILED", `${where}: checksum mismatch`);
  return content;
};

/**
 * Streams a one-file blob object, decompressed, into `sink` (a path, or a null sink when undefined) and checks its
 * SHA-256.
 * @throws VERIFY_FAILED naming the file and the object; DISK_FULL, LOCAL_ACCESS or LOCAL_IO when `destination`
 * cannot be written.
 */
export const streamBlob = async (
  storage: Storage,
  file: LocatedFile,
  displayPath: string,
  destination: string | undefined,
  onBytes?: (bytes: number) => void,
): Promise<number> => {
  const source: Readable = await storage.get(file.key);
  const counter = countBytes(onBytes ?? (() => undefined));
  const hash = new HashStream();
  // A failure of the local file (full disk, permissions) is this machine's, not a damaged object.
  let localFailure: unknown;
  try {
    if (destination) {
      const sink = createWriteStream(destination, { flags: "wx", mode: 0o600 });
      sink.once("error", (error) => {
        localFailure = error;
      });
      await pipeline(source, counter, createDecompressStream(), hash, sink);
    } else
      await pipeline(source, counter, createDecompressStream(), hash, async function* (input) {
        for await (const _ of input) void _;
      });
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    if (errnoOf(localFailure)) throw localError(localFailure, `unable to write '${destination}'`, destination);
    throw new ZopsError(
      "VERIFY_FAILED",
      `file '${displayPath}' in object '${file.key}': corrupt data (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (hash.sha256 !== file.entry.sha256)
    throw new ZopsError("VERIFY_FAILED", `file '${displayPath}' in object '${file.key}': checksum mismatch`);
  return hash.bytes;
};
