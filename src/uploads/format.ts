import { z } from "zod";

// The uploads snapshot manifest and blob index documents (docs/repository-format.md, "Uploads snapshots").

export const SNAPSHOT_FORMAT = "zops-uploads-snapshot";
export const INDEX_FORMAT = "zops-uploads-index";
export const UPLOADS_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.int().min(0);

/** One path in a snapshot, relative to `/` (the original absolute path without its leading `/`). */
export const entrySchema = z.strictObject({
  path: z.string().min(1),
  type: z.enum(["file", "dir", "symlink"]),
  mode: z.int().min(0).max(0o7777),
  uid: count,
  gid: count,
  /** Modification time in milliseconds since the epoch (fractional). */
  mtime: z.number(),
  /** Change time and inode: a cache key only (unchanged files are not read again). */
  ctime: z.number().optional(),
  ino: z.number().optional(),
  size: count.optional(),
  sha256: sha256.optional(),
  /** Index into `objects` of the object holding the content, and the stored byte range in it. */
  object: count.optional(),
  offset: count.optional(),
  length: count.optional(),
  target: z.string().optional(),
});
export type SnapshotEntry = z.infer<typeof entrySchema>;

export const snapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(UPLOADS_VERSION),
  id: z.string(),
  host: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  roots: z.array(z.string()),
  parent: z.string().nullable(),
  stats: z.strictObject({ files: count, dirs: count, symlinks: count, bytes: count, newFiles: count, newBytes: count, uploadedBytes: count, skipped: count }),
  /** Every pack and blob object the entries point into, with its stored size. */
  objects: z.array(z.strictObject({ key: z.string(), size: count })),
  entries: z.array(entrySchema),
});
export type SnapshotManifest = z.infer<typeof snapshotSchema>;

/** Blob index document: which blobs live where. `blobs` rows are [sha256, offset, length, size]. */
export const indexSchema = z.strictObject({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(UPLOADS_VERSION),
  createdAt: z.string(),
  objects: z.array(z.strictObject({ key: z.string(), size: count, blobs: z.array(z.tuple([sha256, count, count, count])) })),
});
export type IndexDocument = z.infer<typeof indexSchema>;

/** Where one blob's stored frame is: object key, byte range, and the content size. */
export interface BlobLocation {
  readonly key: string;
  readonly objectSize: number;
  readonly offset: number;
  readonly length: number;
  readonly size: number;
}
