import { sha256Of } from "../crypto/hash.js";
import { isZopsError } from "../errors/index.js";
import { uploadsObjectSha } from "../repo/layout.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { readUploadSnapshot } from "./catalog.js";
import { groupByObject } from "./locate.js";
import { mapBounded } from "../flow/bounded.js";
import { contentFromSpan, isPackKey, streamBlob } from "./read-blob.js";

export interface VerifyUploadsOptions {
  /**
   * Download every object and check every file's SHA-256 (default); false only checks that each object exists with its
   * recorded size.
   */
  readonly deep?: boolean;
  readonly concurrency?: number;
  readonly onProgress?: (progress: { objectsDone: number; objectsTotal: number; bytesDownloaded: number }) => void;
}

/** Outcome of verifying one snapshot; `problems` names each missing or damaged object and file. */
export interface VerifyUploadsReport {
  readonly id: string;
  readonly ok: boolean;
  readonly files: number;
  readonly objects: number;
  readonly bytesDownloaded: number;
  readonly problems: string[];
}

/**
 * Checks snapshot `snapshot` (id or "latest") against the repository without writing anything: every referenced object
 * exists with its size, and (deep) its SHA-256 and every file's SHA-256 match. Returns a report; throws only when the
 * manifest itself is missing or damaged (NOT_FOUND / VERIFY_FAILED).
 */
export const verifyUploadsSnapshot = async (
  storage: Storage,
  snapshot: string,
  options: VerifyUploadsOptions = {},
): Promise<VerifyUploadsReport> => {
  const manifest = await readUploadSnapshot(storage, snapshot);
  const groups = groupByObject(manifest, manifest.entries);
  const sizes = new Map(manifest.objects.map((object) => [object.key, object.size]));
  const problems: string[] = [];
  const progress = { objectsDone: 0, objectsTotal: groups.size, bytesDownloaded: 0 };
  await mapBounded([...groups], options.concurrency ?? 4, async ([key, files]) => {
    const needed = `needed by ${files.length} file(s), e.g. '/${files[0]?.entry.path}'`;
    const info = await storage.stat(key);
    if (!info) problems.push(`object '${key}' is missing from the repository (${needed})`);
    else if (info.size !== sizes.get(key))
      problems.push(`object '${key}' has ${info.size} bytes, the manifest records ${sizes.get(key)} (${needed})`);
    else if (options.deep ?? true) {
      try {
        if (isPackKey(key)) {
          const data = await getBuffer(storage, key);
          progress.bytesDownloaded += data.length;
          if (sha256Of(data) !== uploadsObjectSha(key)) problems.push(`pack '${key}': checksum mismatch (${needed})`);
          for (const file of files) {
            try {
              contentFromSpan({ start: 0, data }, file, `/${file.entry.path}`);
            } catch (error) {
              if (!isZopsError(error, "VERIFY_FAILED")) throw error;
              problems.push(error.message);
            }
          }
        } else {
          const first = files[0];
          if (first)
            await streamBlob(
              storage,
              first,
              `/${first.entry.path}`,
              undefined,
              (bytes) => (progress.bytesDownloaded += bytes),
            );
        }
      } catch (error) {
        if (isZopsError(error, "VERIFY_FAILED")) problems.push(error.message);
        else if (isZopsError(error, "STORAGE_NOT_FOUND"))
          problems.push(`object '${key}' is missing from the repository (${needed})`);
        else throw error;
      }
    }
    progress.objectsDone += 1;
    options.onProgress?.({ ...progress });
  });
  return {
    id: manifest.id,
    ok: problems.length === 0,
    files: manifest.stats.files,
    objects: groups.size,
    bytesDownloaded: progress.bytesDownloaded,
    problems,
  };
};
