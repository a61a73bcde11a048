import { decompressBuffer } from "../compress/zstd.js";
import { ZopsError, isZopsError } from "../errors/index.js";
import { openRepository } from "../repo/repository.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { findWalObject, type WalObject } from "./catalog.js";
import { hashWal } from "./push-file.js";
import { findLaterSegment } from "./gap.js";

/** One WAL file read back and verified. */
export interface FetchedWal {
  readonly object: WalObject;
  readonly data: Buffer;
}

/**
 * Reads WAL file `name` from the repository, decompresses it and checks its SHA-256 against its key. Throws
 * STORAGE_NOT_FOUND only when the file is genuinely absent at the end of the archive; a hole (a later segment of the
 * same timeline exists) is VERIFY_FAILED, a missing repository marker REPO_INVALID, a bad checksum or corrupt frame
 * VERIFY_FAILED, anything else the storage wrapper's error. Read-only.
 */
export const fetchWalFile = async (
  storage: Storage,
  name: string,
  options: { signal?: AbortSignal; checkEnd?: boolean } = {},
): Promise<FetchedWal> => {
  const object = await findWalObject(storage, name, options);
  if (!object) throw options.checkEnd === false ? absent(storage, name) : await explainAbsent(storage, name);
  let compressed: Buffer;
  try {
    compressed = await getBuffer(storage, object.key, { signal: options.signal });
  } catch (error) {
    // Listed a moment ago: vanishing now is not "end of archive".
    if (isZopsError(error, "STORAGE_NOT_FOUND"))
      throw new ZopsError(
        "STORAGE_IO",
        `WAL object '${object.key}' was listed but could not be read from '${storage.location}'`,
        { cause: error, hint: "something is deleting WAL (expire running?); retry" },
      );
    throw error;
  }
  let data: Buffer;
  try {
    data = decompressBuffer(compressed);
  } catch (error) {
    throw corrupt(storage, object, `not a valid zstd frame (${(error as Error).message})`);
  }
  const sha256 = hashWal(data);
  if (sha256 !== object.sha256)
    throw corrupt(storage, object, `checksum mismatch (content sha256 ${sha256.slice(0, 12)}…)`);
  return { object, data };
};

const absent = (storage: Storage, name: string): ZopsError =>
  new ZopsError("STORAGE_NOT_FOUND", `WAL file ${name} is not in repository '${storage.location}'`, {
    hint: "this is the normal end of the archive during recovery",
  });

const corrupt = (storage: Storage, object: WalObject, why: string): ZopsError =>
  new ZopsError(
    "VERIFY_FAILED",
    `WAL object '${object.key}' in '${storage.location}' is corrupt: ${why}; refusing to hand it to PostgreSQL`,
    {
      hint:
        "recovery stops here instead of ending early; restore that " +
        "segment from another copy (or the source pg_wal) and retry",
    },
  );

// Decides what an absent file means: the end of the archive (STORAGE_NOT_FOUND), a hole before later segments
// (VERIFY_FAILED) or no repository at all (REPO_INVALID). Costs two or three listings, only on the not-found path.
const explainAbsent = async (storage: Storage, name: string): Promise<ZopsError> => {
  await openRepository(storage);
  const later = await findLaterSegment(storage, name);
  if (later) {
    return new ZopsError(
      "VERIFY_FAILED",
      `WAL file ${name} is missing from repository ` +
        `'${storage.location}' although later segment ${later} of the ` +
        `same timeline is archived: the WAL chain has a hole`,
      {
        hint:
          "recovery must stop here rather than end early with less data: " +
          "find the missing segment (the source cluster's pg_wal, another " +
          "repository) and copy it in, or restore to a target before it",
      },
    );
  }
  return absent(storage, name);
};
