// Object keys of the repository format (docs/repository-format.md). Every key the code
// writes or reads comes from a function here, so the layout has one definition.

export const FORMAT_NAME = "zops-repository";
export const FORMAT_VERSION = 1;

/** Marker written by `zops repo init`: identifies a zops repository and its format version. */
export const MARKER_KEY = "zops-repository.json";
/** Identity of the PostgreSQL cluster the repository belongs to (written once, by the first wal-push or backup). */
export const CLUSTER_KEY = "cluster.json";

const SEGMENT = /^[0-9A-F]{24}$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;
const BACKUP_HISTORY = /^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/;
// The last, incomplete segment of an old timeline, archived by PostgreSQL at promotion.
const PARTIAL = /^[0-9A-F]{24}\.partial$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Kinds of files PostgreSQL archives. */
export type WalFileKind = "segment" | "history" | "backup-history" | "partial";

// Classifies a WAL file name as PostgreSQL names it (segment, `.history`, `.backup`, `.partial`), or undefined when it is not one.
export const walFileKind = (name: string): WalFileKind | undefined =>
  SEGMENT.test(name) ? "segment" : HISTORY.test(name) ? "history" : BACKUP_HISTORY.test(name) ? "backup-history" : PARTIAL.test(name) ? "partial" : undefined;

// Directory (key prefix ending in `/`) holding a WAL file: `wal/<timeline+log>/` for segments and backup history, `wal/history/` for timeline history.
export const walDirectory = (name: string): string => (HISTORY.test(name) ? "wal/history/" : `wal/${name.slice(0, 16)}/`);

// Key prefix shared by every stored copy of WAL file `name` (the stored name adds `-<sha256>.zst`).
export const walPrefix = (name: string): string => `${walDirectory(name)}${name}-`;

// Key of WAL file `name` whose uncompressed content has SHA-256 `sha256` (content-addressed: immutable).
export const walKey = (name: string, sha256: string): string => `${walPrefix(name)}${sha256}.zst`;

// Splits a WAL object key into the WAL file name and its SHA-256, or undefined for a foreign key.
export const parseWalKey = (key: string): { name: string; sha256: string } | undefined => {
  const match = /^wal\/(?:[0-9A-F]{16}|history)\/([^/]+)-([0-9a-f]{64})\.zst$/.exec(key);
  if (!match?.[1] || !match[2] || !walFileKind(match[1]) || !SHA256.test(match[2])) return undefined;
  return { name: match[1], sha256: match[2] };
};

/** Prefix of all base backups: `backups/<id>/...`. */
export const BACKUPS_PREFIX = "backups/";
// Key of a backup's manifest; written last, so a backup exists only once this key does.
export const backupManifestKey = (id: string): string => `${BACKUPS_PREFIX}${id}/manifest.json`;
// Prefix of a backup's data objects.
export const backupDataPrefix = (id: string): string => `${BACKUPS_PREFIX}${id}/data/`;

/** Prefixes of the file archives and drill reports. */
export const UPLOADS_PREFIX = "uploads/";
export const SECRETS_PREFIX = "secrets/";
export const DRILLS_PREFIX = "drills/";
