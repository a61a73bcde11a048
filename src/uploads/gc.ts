import { ZopsError } from "../errors/index.js";
import { uploadsObjectSha, UPLOADS_INDEX_PREFIX } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { writeBlobIndex, type IndexedObject } from "./blob-index.js";
import { listUploadSnapshots, type UploadSnapshotInfo } from "./catalog.js";
import { getDocument } from "./documents.js";
import { indexSchema, snapshotSchema } from "./format.js";
import { mapBounded } from "../flow/bounded.js";
import { listRunningMarkers } from "./running.js";
import { listDataObjects } from "./stored-objects.js";

export interface CollectGarbageOptions {
  /** Unreferenced objects younger than this are kept (default 24 h). */
  readonly graceMs?: number;
  /**
   * An in-progress marker younger than this means a snapshot is running, and nothing is deleted (default 24 h); older
   * markers are from crashed runs and are removed.
   */
  readonly markerStaleMs?: number;
  readonly dryRun?: boolean;
  readonly now?: Date;
}

export interface CollectGarbageResult {
  /** Set when nothing was deleted because a snapshot is in progress. */
  readonly skipped?: string;
  readonly deletedObjects: string[];
  readonly deletedBytes: number;
  readonly keptObjects: number;
  readonly indexDocuments: { before: number; after: number };
  readonly staleMarkers: string[];
}

/**
 * Deletes pack/blob objects referenced by no snapshot manifest and older than the grace period, after rewriting the
 * blob index without them; does nothing while a snapshot's in-progress marker is younger than the grace period.
 * Idempotent and safe to interrupt at any point (see docs/repository-format.md). Throws VERIFY_FAILED when a manifest
 * cannot be read (its references are unknown, so nothing is deleted).
 */
export const collectUploadsGarbage = async (
  storage: Storage,
  options: CollectGarbageOptions = {},
): Promise<CollectGarbageResult> => {
  const graceMs = options.graceMs ?? 24 * 3_600_000;
  const now = (options.now ?? new Date()).getTime();
  const markerStaleMs = options.markerStaleMs ?? 24 * 3_600_000;
  const young = (modified: Date | undefined, limit = graceMs) => !modified || now - modified.getTime() < limit;
  const liveMarker = async () =>
    (await listRunningMarkers(storage)).find((marker) => young(marker.modified, markerStaleMs));
  const none = {
    deletedObjects: [],
    deletedBytes: 0,
    keptObjects: 0,
    indexDocuments: { before: 0, after: 0 },
    staleMarkers: [],
  };

  // Manifests first, then markers: a snapshot that finished before this listing is counted, one still running has a
  // marker.
  const referenced = new Set<string>();
  const readReferences = (snapshots: readonly UploadSnapshotInfo[]) =>
    mapBounded(snapshots, 4, async (snapshot) => {
      const manifest = await getDocument(storage, snapshot.key, snapshot.sha256, snapshotSchema).catch(
        (error: unknown) => {
          throw new ZopsError("VERIFY_FAILED", `garbage collection of uploads stopped: ${(error as Error).message}`, {
            hint: "nothing was deleted; run `zops verify` and remove or repair the damaged snapshot manifest",
            cause: error,
          });
        },
      );
      for (const object of manifest.objects) referenced.add(object.key);
    });
  const first = await listUploadSnapshots(storage);
  await readReferences(first);
  const live = await liveMarker();
  if (live) return { ...none, skipped: `an uploads snapshot is in progress ('${live.key}')` };
  // A snapshot that finished between the listing and the marker check has a manifest now.
  const seen = new Set(first.map((snapshot) => snapshot.key));
  await readReferences((await listUploadSnapshots(storage)).filter((snapshot) => !seen.has(snapshot.key)));
  const staleMarkers = (await listRunningMarkers(storage))
    .filter((marker) => !young(marker.modified, markerStaleMs))
    .map((marker) => marker.key);

  const objects = await listDataObjects(storage);
  const doomed = [...objects.values()].filter((info) => !referenced.has(info.key) && !young(info.modified));
  const doomedKeys = new Set(doomed.map((info) => info.key));

  // Rewrite the index without doomed or vanished objects, then drop the old documents, then the objects.
  const indexKeys: string[] = [];
  for await (const info of storage.list(UPLOADS_INDEX_PREFIX)) indexKeys.push(info.key);
  const documents = await mapBounded(indexKeys, 8, (key) =>
    getDocument(storage, key, uploadsObjectSha(key) ?? "", indexSchema).catch(() => undefined),
  );
  const kept = new Map<string, IndexedObject>();
  for (const document of documents) {
    for (const object of document?.objects ?? []) {
      if (!doomedKeys.has(object.key) && objects.get(object.key)?.size === object.size && !kept.has(object.key))
        kept.set(object.key, object);
    }
  }
  const listed = documents.reduce((sum, document) => sum + (document?.objects.length ?? 0), 0);
  const rewrite = indexKeys.length > 1 || kept.size !== listed || documents.some((document) => !document);
  let after = indexKeys.length;
  if (!options.dryRun) {
    if (rewrite) {
      const written =
        kept.size > 0
          ? await writeBlobIndex(
              storage,
              [...kept.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
            )
          : undefined;
      await storage.delete(indexKeys.filter((key) => key !== written?.key));
      after = written ? 1 : 0;
    }
    if (doomed.length > 0 && (await liveMarker())) {
      return {
        ...none,
        skipped: "an uploads snapshot started during garbage collection; objects are deleted next time",
        indexDocuments: { before: indexKeys.length, after },
      };
    }
    await storage.delete(doomed.map((info) => info.key));
    await storage.delete(staleMarkers);
  }
  return {
    deletedObjects: doomed.map((info) => info.key),
    deletedBytes: doomed.reduce((sum, info) => sum + info.size, 0),
    keptObjects: objects.size - doomed.length,
    indexDocuments: { before: indexKeys.length, after },
    staleMarkers,
  };
};
