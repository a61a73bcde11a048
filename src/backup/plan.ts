import { createHash } from "node:crypto";
import type { BackupManifest, ManifestFile } from "./manifest.js";
import type { FoundFile } from "./walk.js";

// Which files a backup copies, which it references from the previous backup, and how the copied
// bytes are cut into data objects (docs/repository-format.md "Base backups").

/** Files larger than this are cut into pieces of this size, one object each; smaller files are bundled. */
export const PIECE_SIZE = 16 * 1024 * 1024;
/** Target uncompressed size of a bundle of small files. */
export const BUNDLE_SIZE = 16 * 1024 * 1024;
/** An unchanged-looking file is referenced only if its mtime is this much older than the previous backup's start. */
export const MTIME_MARGIN_MS = 2000;

/** One data object to write: pieces of files (`file` indexes the plan's copied files). */
export interface ObjectJob {
  readonly sequence: number;
  readonly bytes: number;
  readonly pieces: { readonly file: number; readonly offset: number; readonly length: number }[];
}

export interface BackupPlan {
  /** Files whose bytes this backup reads and stores. */
  readonly copied: FoundFile[];
  /** Entries reused as they are from the previous backup (unchanged files). */
  readonly referenced: ManifestFile[];
  readonly jobs: ObjectJob[];
  readonly copyBytes: number;
}

/**
 * True when `file` provably has the content `previous` recorded: same size and mtime, and that mtime lies
 * MTIME_MARGIN_MS before the previous backup started, so no write after that backup began can hide behind a coarse
 * timestamp. Pure.
 */
export const isUnchanged = (file: FoundFile, previous: ManifestFile | undefined, previousStartMs: number): boolean =>
  previous !== undefined &&
  previous.size === file.size &&
  previous.mtimeMs === file.mtimeMs &&
  file.mtimeMs < previousStartMs - MTIME_MARGIN_MS;

/** Splits files into referenced and copied and packs the copied bytes into object jobs (large pieces first). Pure. */
export const planBackup = (files: readonly FoundFile[], previous?: BackupManifest): BackupPlan => {
  const previousByPath = new Map(previous?.files.map((file) => [file.path, file]));
  const previousStartMs = previous ? Date.parse(previous.startedAt) : 0;
  const copied: FoundFile[] = [];
  const referenced: ManifestFile[] = [];
  for (const file of files) {
    const before = previousByPath.get(file.path);
    if (before && isUnchanged(file, before, previousStartMs)) referenced.push(before);
    else copied.push(file);
  }
  const large: ObjectJob[] = [];
  const bundles: ObjectJob[] = [];
  let bundle: ObjectJob | undefined;
  let sequence = 0;
  let copyBytes = 0;
  copied.forEach((file, index) => {
    copyBytes += file.size;
    if (file.size === 0) return;
    if (file.size > PIECE_SIZE) {
      for (let offset = 0; offset < file.size; offset += PIECE_SIZE) {
        const length = Math.min(PIECE_SIZE, file.size - offset);
        large.push({ sequence: 0, bytes: length, pieces: [{ file: index, offset, length }] });
      }
      return;
    }
    if (!bundle || bundle.bytes + file.size > BUNDLE_SIZE) {
      bundle = { sequence: 0, bytes: 0, pieces: [] };
      bundles.push(bundle);
    }
    bundle.pieces.push({ file: index, offset: 0, length: file.size });
    (bundle as { bytes: number }).bytes += file.size;
  });
  const jobs = [...large, ...bundles].map((job) => ({ ...job, sequence: (sequence += 1) }));
  return { copied, referenced, jobs, copyBytes };
};

/**
 * The file digest the manifest records: SHA-256 of the content for 0-1 pieces, else SHA-256 of the pieces' binary
 * SHA-256s in order. Pure.
 */
export const fileDigest = (pieceHashes: readonly string[]): string => {
  if (pieceHashes.length === 0) return createHash("sha256").digest("hex");
  if (pieceHashes.length === 1) return pieceHashes[0] as string;
  const hash = createHash("sha256");
  for (const piece of pieceHashes) hash.update(Buffer.from(piece, "hex"));
  return hash.digest("hex");
};
