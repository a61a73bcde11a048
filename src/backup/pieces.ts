import { createHash } from "node:crypto";
import { closeSync, fchmodSync, fchownSync, fsyncSync, futimesSync, openSync, readSync, writeSync } from "node:fs";
import { compressFrame, decompressFrameChunks } from "../compress/frames.js";
import { errnoOf } from "../errors/index.js";

// The byte work of backups and restores, run inside worker threads (jobs in ./piece-jobs.ts) so that
// zstd and SHA-256 use every core. A data object is a concatenation of zstd frames, one per piece.

/** A range of a file to store. */
export interface PackPiece {
  readonly absolute: string;
  readonly offset: number;
  readonly length: number;
}

export interface PackedPiece {
  /** Bytes actually read (less than asked when the file shrank meanwhile; 0 when it vanished). */
  readonly size: number;
  readonly sha256: string;
  readonly frameOffset: number;
  readonly frameLength: number;
  readonly vanished: boolean;
}

export interface PackResult {
  readonly data: Uint8Array;
  readonly sha256: string;
  readonly pieces: PackedPiece[];
}

/**
 * Reads each piece, hashes it and compresses it into its own zstd frame; returns the object bytes and facts. Never
 * throws for a file that vanished (reported as vanished); other I/O errors throw.
 */
export const packPieces = async (pieces: readonly PackPiece[], level: number): Promise<PackResult> => {
  const packed: PackedPiece[] = [];
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  // Output grows as frames are appended; compressed data is rarely larger than its input.
  let data = Buffer.allocUnsafe(Math.min(total + 1024, 64 * 1024 * 1024));
  let offset = 0;
  for (const piece of pieces) {
    const content = await readRange(piece.absolute, piece.offset, piece.length);
    const bytes = content ?? Buffer.alloc(0);
    const frame = compressFrame(bytes, level);
    if (offset + frame.length > data.length) {
      const grown = Buffer.allocUnsafe(Math.max(offset + frame.length, data.length * 2));
      data.copy(grown, 0, 0, offset);
      data = grown;
    }
    frame.copy(data, offset);
    packed.push({
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      frameOffset: offset,
      frameLength: frame.length,
      vanished: content === undefined,
    });
    offset += frame.length;
  }
  const exact = data.subarray(0, offset);
  return { data: exact, sha256: createHash("sha256").update(exact).digest("hex"), pieces: packed };
};

let readBuffer = Buffer.alloc(0);

// Reads `length` bytes at `offset` (fewer at end of file) into a per-thread buffer (valid until the next call);
// undefined when the file does not exist. Synchronous on purpose: it runs on a worker thread, where blocking is free
// and libuv's small shared thread pool (also serving the main thread) would only add hops and contention.
const readRange = async (path: string, offset: number, length: number): Promise<Buffer | undefined> => {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    if (readBuffer.length < length) readBuffer = Buffer.allocUnsafe(Math.max(length, 1024 * 1024));
    let filled = 0;
    while (filled < length) {
      const bytesRead = readSync(fd, readBuffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return readBuffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
};

/** A piece to extract from an object, and where to write it (no `absolute`: check only). */
export interface UnpackPiece {
  /** File path as the manifest names it (for messages). */
  readonly path: string;
  readonly absolute?: string;
  readonly fileOffset: number;
  readonly frameOffset: number;
  readonly frameLength: number;
  readonly size: number;
  readonly sha256: string;
  /**
   * The piece is the whole file: create (truncate) it, then set mode, owner and mtime. Without it the file must exist.
   */
  readonly whole?: { readonly mode: number; readonly mtimeMs: number; readonly uid?: number; readonly gid?: number };
}

/**
 * What went wrong with one object: the message names the object and the file. A failure of this machine's disk (not
 * the backup's) carries its errno and the local path.
 */
export interface UnpackProblem {
  readonly path?: string;
  readonly message: string;
  readonly local?: { readonly errno: string; readonly syscall?: string; readonly absolute?: string };
}

/**
 * Checks the object's SHA-256 (when `objectSha256` is given: whole objects only), then decompresses every piece, checks
 * its size and SHA-256 and writes it at its offset. Returns problems instead of throwing, so the caller can name every
 * damaged file.
 */
export const unpackPieces = async (
  data: Uint8Array,
  key: string,
  objectSha256: string | undefined,
  pieces: readonly UnpackPiece[],
): Promise<UnpackProblem[]> => {
  if (objectSha256 !== undefined) {
    const actual = createHash("sha256").update(data).digest("hex");
    if (actual !== objectSha256) {
      const files = [...new Set(pieces.map((piece) => piece.path))];
      return [
        {
          path: files[0],
          message:
            `object '${key}' checksum mismatch (expected ${objectSha256}, ` +
            `got ${actual}); it holds ${describeFiles(files)}`,
        },
      ];
    }
  }
  const problems: UnpackProblem[] = [];
  for (const piece of pieces) {
    const hash = createHash("sha256");
    let fd: number | undefined;
    let size: number;
    try {
      if (piece.absolute) fd = openSync(piece.absolute, piece.whole ? "w" : "r+", piece.whole?.mode);
      let offset = piece.fileOffset;
      size = decompressFrameChunks(
        data.subarray(piece.frameOffset, piece.frameOffset + piece.frameLength),
        piece.size,
        (chunk) => {
          hash.update(chunk);
          if (fd !== undefined) offset += writeFully(fd, chunk, offset);
        },
      );
      if (fd !== undefined && piece.whole) finishFile(fd, piece.whole);
    } catch (error) {
      // An errno (ENOSPC, EIO, EACCES...) is this machine's disk, not the backup.
      const errno = errnoOf(error);
      if (errno !== undefined) {
        const message = `file '${piece.path}' could not be written to ${piece.absolute}: ${(error as Error).message}`;
        const syscall = (error as NodeJS.ErrnoException).syscall;
        problems.push({ path: piece.path, message, local: { errno, syscall, absolute: piece.absolute } });
      } else
        problems.push({
          path: piece.path,
          message: `file '${piece.path}' in object '${key}' is corrupt: ${(error as Error).message}`,
        });
      continue;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    // Written before it is checked (streamed, as pgBackRest does): a mismatch fails the whole restore, which never
    // hands over the directory.
    if (size !== piece.size || hash.digest("hex") !== piece.sha256) {
      problems.push({
        path: piece.path,
        message: `file '${piece.path}' (offset ${piece.fileOffset}) in object '${key}' checksum mismatch`,
      });
    }
  }
  return problems;
};

const describeFiles = (files: readonly string[]): string =>
  files.length <= 3
    ? files.map((file) => `'${file}'`).join(", ")
    : `'${files[0]}', '${files[1]}' and ${files.length - 2} more files`;

// Writes all of `content` at `offset` (synchronously: worker threads only, see readRange); returns its length.
const writeFully = (fd: number, content: Buffer, offset: number): number => {
  let written = 0;
  while (written < content.length)
    written += writeSync(fd, content, written, content.length - written, offset + written);
  return written;
};

// Gives a whole (one-piece) file its mode, owner and mtime, and fsyncs it (as pgBackRest does: a restore is durable
// when it says so).
const finishFile = (fd: number, whole: NonNullable<UnpackPiece["whole"]>): void => {
  fchmodSync(fd, whole.mode);
  if (whole.uid !== undefined && whole.gid !== undefined) fchownSync(fd, whole.uid, whole.gid);
  futimesSync(fd, new Date(whole.mtimeMs), new Date(whole.mtimeMs));
  fsyncSync(fd);
};

/** A local file range to compare with the manifest (delta restore). */
export interface HashPiece {
  readonly absolute: string;
  readonly offset: number;
  readonly length: number;
  readonly sha256: string;
}

/** True when every range of the local file has the recorded SHA-256 (false when the file is missing or shorter). */
export const piecesMatch = async (pieces: readonly HashPiece[]): Promise<boolean> => {
  for (const piece of pieces) {
    const content = await readRange(piece.absolute, piece.offset, piece.length);
    if (!content || content.length !== piece.length) return false;
    if (createHash("sha256").update(content).digest("hex") !== piece.sha256) return false;
  }
  return true;
};
