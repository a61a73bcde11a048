import { z } from "zod";

// The uploads snapshot manifest and blob index documents (docs/repository-format.md, "Uploads snapshots").

export const SNAPSHOT_FORMAT = "zops-uploads-snapshot";
export const INDEX_FORMAT = "zops-uploads-index";
export const UPLOADS_VERSION = 1;

const count = z.int().min(0);

/** One path in a snapshot, relative to `/` (the original absolute path without its leading `/`). */
export interface SnapshotEntry {
  readonly path: string;
  readonly type: "file" | "dir" | "symlink";
  /** Permission bits (incl. setuid/setgid/sticky). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in milliseconds since the epoch (fractional). */
  readonly mtime: number;
  /** Change time and inode: a cache key only (unchanged files are not read again). */
  readonly ctime?: number;
  readonly ino?: number;
  readonly size?: number;
  readonly sha256?: string;
  /** Index into `objects` of the object holding the content, and the stored byte range in it. */
  readonly object?: number;
  readonly offset?: number;
  readonly length?: number;
  readonly target?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;
const isCount = (value: unknown): boolean => typeof value === "number" && Number.isInteger(value) && value >= 0;
const optional = (value: unknown, check: (value: unknown) => boolean): boolean => value === undefined || check(value);

// Hand-written check of one entry (zod is ~50x slower on manifests of 100,000 entries); returns what is wrong, or
// undefined.
const entryProblem = (entry: unknown): string | undefined => {
  if (typeof entry !== "object" || entry === null) return "not an object";
  const e = entry as Record<string, unknown>;
  if (typeof e.path !== "string" || e.path === "") return "path";
  if (e.type !== "file" && e.type !== "dir" && e.type !== "symlink") return "type";
  if (
    !isCount(e.mode) ||
    (e.mode as number) > 0o7777 ||
    !isCount(e.uid) ||
    !isCount(e.gid) ||
    typeof e.mtime !== "number"
  )
    return "mode, uid, gid or mtime";
  if (!optional(e.ctime, (v) => typeof v === "number") || !optional(e.ino, (v) => typeof v === "number"))
    return "ctime or ino";
  if (
    !optional(e.size, isCount) ||
    !optional(e.object, isCount) ||
    !optional(e.offset, isCount) ||
    !optional(e.length, isCount)
  )
    return "size or location";
  if (
    !optional(e.sha256, (v) => typeof v === "string" && SHA256.test(v)) ||
    !optional(e.target, (v) => typeof v === "string")
  )
    return "sha256 or target";
  return undefined;
};

const entriesSchema = z.array(z.unknown()).transform((entries, context) => {
  for (const [index, entry] of entries.entries()) {
    const problem = entryProblem(entry);
    if (problem) {
      context.addIssue({ code: "custom", message: `entry ${index}: invalid ${problem}` });
      return z.NEVER;
    }
  }
  return entries as SnapshotEntry[];
});

export const snapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(UPLOADS_VERSION),
  id: z.string(),
  host: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  roots: z.array(z.string()),
  parent: z.string().nullable(),
  stats: z.strictObject({
    files: count,
    dirs: count,
    symlinks: count,
    bytes: count,
    newFiles: count,
    newBytes: count,
    uploadedBytes: count,
    skipped: count,
  }),
  /** Every pack and blob object the entries point into, with its stored size. */
  objects: z.array(z.strictObject({ key: z.string(), size: count })),
  entries: entriesSchema,
});
export type SnapshotManifest = z.infer<typeof snapshotSchema>;

/** Blob index document: which blobs live where. `blobs` rows are [sha256, offset, length, size]. */
export const indexSchema = z.strictObject({
  format: z.literal(INDEX_FORMAT),
  version: z.literal(UPLOADS_VERSION),
  createdAt: z.string(),
  objects: z.array(
    z.strictObject({
      key: z.string(),
      size: count,
      blobs: z.array(z.unknown()).transform((blobs, context) => {
        const bad = blobs.findIndex(
          (blob) =>
            !Array.isArray(blob) ||
            blob.length !== 4 ||
            typeof blob[0] !== "string" ||
            !SHA256.test(blob[0]) ||
            !blob.slice(1).every(isCount),
        );
        if (bad >= 0) {
          context.addIssue({ code: "custom", message: `blob ${bad}: expected [sha256, offset, length, size]` });
          return z.NEVER;
        }
        return blobs as [string, number, number, number][];
      }),
    }),
  ),
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
