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

/**
 * Classifies a WAL file name as PostgreSQL names it (segment, `.history`, `.backup`, `.partial`), or undefined when it
 * is not one.
 */
export const walFileKind = (name: string): WalFileKind | undefined =>
  SEGMENT.test(name)
    ? "segment"
    : HISTORY.test(name)
      ? "history"
      : BACKUP_HISTORY.test(name)
        ? "backup-history"
        : PARTIAL.test(name)
          ? "partial"
          : undefined;

/**
 * Directory (key prefix ending in `/`) holding a WAL file: `wal/<timeline+log>/` for segments and backup history,
 * `wal/history/` for timeline history.
 */
export const walDirectory = (name: string): string =>
  HISTORY.test(name) ? "wal/history/" : `wal/${name.slice(0, 16)}/`;

/** Key prefix shared by every stored copy of WAL file `name` (the stored name adds `-<sha256>.zst`). */
export const walPrefix = (name: string): string => `${walDirectory(name)}${name}-`;

/** Key of WAL file `name` whose uncompressed content has SHA-256 `sha256` (content-addressed: immutable). */
export const walKey = (name: string, sha256: string): string => `${walPrefix(name)}${sha256}.zst`;

/**
 * Key where `zops wal-push --replace-partial` keeps a replaced WAL object (outside `wal/`, so no listing of the archive
 * sees it; nothing deletes it).
 */
export const replacedWalKey = (key: string, at: Date): string =>
  `replaced/${at.toISOString().replace(/[:.]/g, "")}/${key}`;

/** Splits a WAL object key into the WAL file name and its SHA-256, or undefined for a foreign key. */
export const parseWalKey = (key: string): { name: string; sha256: string } | undefined => {
  const match = /^wal\/(?:[0-9A-F]{16}|history)\/([^/]+)-([0-9a-f]{64})\.zst$/.exec(key);
  if (!match?.[1] || !match[2] || !walFileKind(match[1]) || !SHA256.test(match[2])) return undefined;
  return { name: match[1], sha256: match[2] };
};

/** Prefix of all base backups: `backups/<id>/...`. */
export const BACKUPS_PREFIX = "backups/";
/** Key of a backup's manifest; written last, so a backup exists only once this key does. */
export const backupManifestKey = (id: string): string => `${BACKUPS_PREFIX}${id}/manifest.json`;
/** Prefix of a backup's data objects. */
export const backupDataPrefix = (id: string): string => `${BACKUPS_PREFIX}${id}/data/`;

/** Prefixes of the file archives and drill reports. */
export const UPLOADS_PREFIX = "uploads/";
export const SECRETS_PREFIX = "secrets/";
export const DRILLS_PREFIX = "drills/";

// --- uploads snapshots (docs/repository-format.md, "Uploads snapshots") ---
const HEX64 = "[0-9a-f]{64}";
/** Snapshot ids are UTC timestamps `YYYYMMDDTHHMMSSmmmZ`: they sort by time. */
export const UPLOADS_SNAPSHOT_ID = /^\d{8}T\d{9}Z$/;
/** Pack of small files: content-addressed by the SHA-256 of the stored (compressed) bytes. */
export const uploadsPackKey = (sha256: string): string =>
  `${UPLOADS_PREFIX}packs/${sha256.slice(0, 2)}/${sha256}.tar.zst`;
/** Large file in its own object: content-addressed by the SHA-256 of the file's content. */
export const uploadsBlobKey = (sha256: string): string => `${UPLOADS_PREFIX}blobs/${sha256.slice(0, 2)}/${sha256}.zst`;
/** Blob index object: content-addressed by the SHA-256 of its stored bytes. */
export const uploadsIndexKey = (sha256: string): string => `${UPLOADS_PREFIX}index/${sha256}.json.zst`;
/** Snapshot manifest (written last): id plus SHA-256 of its stored bytes. */
export const uploadsSnapshotKey = (id: string, sha256: string): string =>
  `${UPLOADS_PREFIX}snapshots/${id}-${sha256}.json.zst`;
/** In-progress marker of a running snapshot (deleted when it ends). */
export const uploadsRunningKey = (id: string): string => `${UPLOADS_PREFIX}running/${id}.json`;
export const UPLOADS_PACKS_PREFIX = `${UPLOADS_PREFIX}packs/`;
export const UPLOADS_BLOBS_PREFIX = `${UPLOADS_PREFIX}blobs/`;
export const UPLOADS_INDEX_PREFIX = `${UPLOADS_PREFIX}index/`;
export const UPLOADS_SNAPSHOTS_PREFIX = `${UPLOADS_PREFIX}snapshots/`;
export const UPLOADS_RUNNING_PREFIX = `${UPLOADS_PREFIX}running/`;
/** Splits a snapshot manifest key into id and SHA-256, or undefined for a foreign key. */
export const parseUploadsSnapshotKey = (key: string): { id: string; sha256: string } | undefined => {
  const match = new RegExp(`^${UPLOADS_PREFIX}snapshots/(\\d{8}T\\d{9}Z)-(${HEX64})\\.json\\.zst$`).exec(key);
  return match?.[1] && match[2] ? { id: match[1], sha256: match[2] } : undefined;
};
/** SHA-256 named by a content-addressed pack, blob or index key, or undefined. */
export const uploadsObjectSha = (key: string): string | undefined =>
  new RegExp(
    `^${UPLOADS_PREFIX}(?:packs|blobs|index)/(?:[0-9a-f]{2}/)?(${HEX64})\\.(?:tar\\.zst|zst|json\\.zst)$`,
  ).exec(key)?.[1];

// --- secrets archives (docs/repository-format.md, "Secrets archives") ---
/** Secrets archive ids are UTC timestamps like uploads snapshot ids. */
export const SECRETS_ARCHIVE_ID = /^\d{8}T\d{9}Z$/;
/** age-encrypted tar, content-addressed by the SHA-256 of the ciphertext. */
export const secretsArchiveKey = (sha256: string): string => `${SECRETS_PREFIX}archives/${sha256}.tar.age`;
/** Archive manifest (written last; no secret content): id plus SHA-256 of its bytes. */
export const secretsManifestKey = (id: string, sha256: string): string =>
  `${SECRETS_PREFIX}manifests/${id}-${sha256}.json`;
export const SECRETS_ARCHIVES_PREFIX = `${SECRETS_PREFIX}archives/`;
export const SECRETS_MANIFESTS_PREFIX = `${SECRETS_PREFIX}manifests/`;
/** Splits a secrets manifest key into id and SHA-256, or undefined for a foreign key. */
export const parseSecretsManifestKey = (key: string): { id: string; sha256: string } | undefined => {
  const match = new RegExp(`^${SECRETS_PREFIX}manifests/(\\d{8}T\\d{9}Z)-(${HEX64})\\.json$`).exec(key);
  return match?.[1] && match[2] ? { id: match[1], sha256: match[2] } : undefined;
};

/**
 * --- base backups (docs/repository-format.md "Base backups") --- Key of data object number `sequence` of backup `id`
 * (a bundle of small files or one piece of a large file).
 */
export const backupObjectKey = (id: string, sequence: number): string =>
  `${backupDataPrefix(id)}${String(sequence).padStart(6, "0")}.zst`;
/** Prefix of everything stored for backup `id` (manifest and data). */
export const backupPrefix = (id: string): string => `${BACKUPS_PREFIX}${id}/`;
/** Backup id named by a key under backups/, or undefined for a foreign key. */
export const backupIdOfKey = (key: string): string | undefined =>
  /^backups\/([0-9]{8}T[0-9]{6}[FI](?:-[0-9]+)?)\//.exec(key)?.[1];

/**
 * --- drills (docs/repository-format.md, "Drill reports") --- Key of a drill report (id: UTC timestamp
 * `YYYYMMDDTHHMMSSZ`, so reports sort by time).
 */
export const drillReportKey = (id: string): string => `${DRILLS_PREFIX}reports/${id}.json`;
/** Prefix of all drill reports. */
export const DRILL_REPORTS_PREFIX = `${DRILLS_PREFIX}reports/`;
/**
 * Key of the data fingerprints captured right after backup `backupId` (a drill of that backup compares against them).
 */
export const fingerprintsKey = (backupId: string): string => `${DRILLS_PREFIX}fingerprints/${backupId}.json`;

// --- restore points (docs/repository-format.md, "Restore points") ---
/** Prefix of the restore points recorded by `zops mark`. */
export const MARKS_PREFIX = "marks/";
/** Names `zops mark` accepts: they are object keys, and PostgreSQL allows at most 63 bytes. */
export const MARK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Key of the record of restore point `name` (one per name: a name is recorded once). */
export const markKey = (name: string): string => `${MARKS_PREFIX}${name}.json`;
/** Restore point name of a mark key, or undefined for a foreign key. */
export const markNameOfKey = (key: string): string | undefined => {
  const name = /^marks\/(.+)\.json$/.exec(key)?.[1];
  return name !== undefined && MARK_NAME.test(name) ? name : undefined;
};
