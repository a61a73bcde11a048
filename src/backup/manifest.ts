import { ZopsError, isZopsError } from "../errors/index.js";
import { sha256Of } from "../crypto/hash.js";
import { BACKUPS_PREFIX, backupManifestKey } from "../repo/layout.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";

// The backup manifest (docs/repository-format.md "Base backups"): what a backup holds and where
// every byte of it is stored. Written last; its own SHA-256 sits in its envelope.

export const MANIFEST_FORMAT = 1;

/** One stored range of a file: a zstd frame inside a data object. */
export interface ManifestPiece {
  /** Repository key of the data object (may belong to an earlier backup of the chain). */
  readonly object: string;
  /** Byte offset and length of the compressed frame inside the object. */
  readonly frameOffset: number;
  readonly frameLength: number;
  /** Offset of this piece in the file, and its uncompressed length. */
  readonly fileOffset: number;
  readonly size: number;
  /** SHA-256 (hex) of the uncompressed piece. */
  readonly sha256: string;
}

/**
 * One regular file of the data directory (paths relative to it, `/`-separated; tablespaces under `pg_tblspc/<oid>/`).
 */
export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  /** Modification time, milliseconds since the epoch (as read at backup time). */
  readonly mtimeMs: number;
  /**
   * SHA-256 of the content for a one-piece file; for larger files the SHA-256 of the pieces' binary SHA-256s in order.
   */
  readonly sha256: string;
  /** Id of the backup that stored the bytes (this one, or an earlier one of the chain for an unchanged file). */
  readonly storedIn: string;
  readonly pieces: readonly ManifestPiece[];
}

/** A data object of this backup: its stored size and SHA-256. */
export interface ManifestObject {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export interface ManifestTablespace {
  readonly oid: string;
  readonly name: string;
  readonly location: string;
}

export interface BackupManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly id: string;
  readonly type: "full" | "incr";
  /** Backup this incremental was taken against (undefined for a full). */
  readonly parent?: string;
  /** The full backup at the root of the chain (its own id for a full). */
  readonly full: string;
  readonly startedAt: string;
  readonly stoppedAt: string;
  /**
   * Server clock right after pg_backup_stop returned (ISO 8601, UTC, microseconds): the time of the consistency point,
   * against which `--target-time` picks a backup. Absent in backups taken before zops recorded it.
   */
  readonly stopTime?: string;
  readonly pgVersion: number;
  readonly systemIdentifier: string;
  readonly timeline: number;
  readonly walSegmentSize: number;
  readonly startLsn: string;
  readonly stopLsn: string;
  /** First and last WAL segment needed to make the backup consistent. */
  readonly walStart: string;
  readonly walStop: string;
  readonly dataDir: string;
  readonly backupLabel: string;
  readonly tablespaceMap: string | null;
  readonly tablespaces: readonly ManifestTablespace[];
  readonly compression: { readonly type: "zstd"; readonly level: number };
  readonly sizes: {
    /** Bytes of all files in the backup (what a restore writes). */
    readonly database: number;
    /** Bytes read and stored by this backup (uncompressed), and their stored (compressed) size. */
    readonly copied: number;
    readonly stored: number;
    /** Stored bytes of the whole backup including referenced objects of earlier backups. */
    readonly storedTotal: number;
  };
  readonly directories: readonly { readonly path: string; readonly mode: number }[];
  readonly files: readonly ManifestFile[];
  /** Every data object the files live in: this backup's own and those of earlier backups of the chain it references. */
  readonly objects: readonly ManifestObject[];
}

interface Envelope {
  readonly sha256: string;
  readonly manifest: BackupManifest;
}

/** Serializes a manifest into its checksummed envelope (pure). */
export const encodeManifest = (manifest: BackupManifest): Buffer => {
  const body = JSON.stringify(manifest);
  return Buffer.from(`{"sha256":"${sha256Of(body)}","manifest":${body}}\n`);
};

/** Parses an envelope and checks its SHA-256; throws VERIFY_FAILED naming the key on any damage. */
export const decodeManifest = (data: Buffer, key: string): BackupManifest => {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(data.toString("utf8")) as Envelope;
  } catch (error) {
    throw new ZopsError("VERIFY_FAILED", `unable to read manifest '${key}': not valid JSON`, {
      hint: "the manifest is damaged; restore from another backup",
      cause: error,
    });
  }
  const body = JSON.stringify(envelope.manifest);
  if (!envelope.manifest || sha256Of(body) !== envelope.sha256) {
    throw new ZopsError("VERIFY_FAILED", `unable to read manifest '${key}': checksum mismatch`, {
      hint: "the manifest is damaged; use another backup and run `zops verify`",
    });
  }
  if (envelope.manifest.format > MANIFEST_FORMAT) {
    throw new ZopsError(
      "REPO_INVALID",
      `manifest '${key}' has format ${envelope.manifest.format}; this zops reads up to ${MANIFEST_FORMAT}`,
      { hint: "upgrade zops" },
    );
  }
  return envelope.manifest;
};

/** Reads and checks one backup's manifest; throws NOT_FOUND when the backup does not exist (or never completed). */
export const readManifest = async (storage: Storage, id: string): Promise<BackupManifest> => {
  const key = backupManifestKey(id);
  try {
    return decodeManifest(await getBuffer(storage, key), key);
  } catch (error) {
    if (isZopsError(error, "STORAGE_NOT_FOUND")) {
      throw new ZopsError("NOT_FOUND", `backup '${id}' does not exist in '${storage.location}'`, {
        hint: "list backups with `zops backups`",
        cause: error,
      });
    }
    throw error;
  }
};

/** Ids of completed backups (those whose manifest exists), oldest first. One listing of backups/. */
export const listBackupIds = async (storage: Storage): Promise<string[]> => {
  const ids: string[] = [];
  for await (const info of storage.list(BACKUPS_PREFIX)) {
    const match = /^backups\/([^/]+)\/manifest\.json$/.exec(info.key);
    if (match?.[1]) ids.push(match[1]);
  }
  return ids.sort();
};

/**
 * Every completed backup's manifest, oldest first; a damaged manifest throws VERIFY_FAILED naming it (scanBackups in
 * scan-backups.ts returns damaged ones instead).
 */
export const listBackups = async (storage: Storage): Promise<BackupManifest[]> => {
  const manifests: BackupManifest[] = [];
  for (const id of await listBackupIds(storage)) manifests.push(await readManifest(storage, id));
  return manifests;
};
