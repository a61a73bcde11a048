import { uploadsIndexKey, uploadsObjectSha, UPLOADS_INDEX_PREFIX } from "../repo/layout.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";
import { getDocument, putDocument, type StoredDocument } from "./documents.js";
import { INDEX_FORMAT, indexSchema, UPLOADS_VERSION, type BlobLocation, type IndexDocument } from "./format.js";
import { mapBounded } from "../flow/bounded.js";

/** One stored pack or blob object and the blobs in it, as recorded in an index document. */
export type IndexedObject = IndexDocument["objects"][number];

/** The union of all index documents. */
export interface BlobIndex {
  /** Where each blob is (first location seen wins). */
  readonly blobs: Map<string, BlobLocation>;
  /** Index document keys that were read. */
  readonly documents: string[];
}

/**
 * Reads every index document; keeps only blobs whose object is in `present` with the recorded size. A damaged index
 * document is skipped (its blobs are simply uploaded again).
 */
export const loadBlobIndex = async (
  storage: Storage,
  present: ReadonlyMap<string, ObjectInfo>,
  onSkip?: (key: string, error: unknown) => void,
): Promise<BlobIndex> => {
  const keys: string[] = [];
  for await (const info of storage.list(UPLOADS_INDEX_PREFIX)) if (uploadsObjectSha(info.key)) keys.push(info.key);
  const documents = await mapBounded(keys, 8, async (key) => {
    try {
      return await getDocument(storage, key, uploadsObjectSha(key) ?? "", indexSchema);
    } catch (error) {
      onSkip?.(key, error);
      return undefined;
    }
  });
  const blobs = new Map<string, BlobLocation>();
  for (const document of documents) {
    for (const object of document?.objects ?? []) {
      if (present.get(object.key)?.size !== object.size) continue;
      for (const [sha256, offset, length, size] of object.blobs) {
        if (!blobs.has(sha256)) blobs.set(sha256, { key: object.key, objectSize: object.size, offset, length, size });
      }
    }
  }
  return { blobs, documents: keys };
};

/** Writes one index document listing `objects` (content-addressed: atomic and idempotent). */
export const writeBlobIndex = (storage: Storage, objects: readonly IndexedObject[]): Promise<StoredDocument> =>
  putDocument(storage, uploadsIndexKey, {
    format: INDEX_FORMAT,
    version: UPLOADS_VERSION,
    createdAt: new Date().toISOString(),
    objects: [...objects],
  } satisfies IndexDocument);
