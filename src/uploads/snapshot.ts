import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { uploadsSnapshotKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { loadBlobIndex, writeBlobIndex, type IndexedObject } from "./blob-index.js";
import { readUploadSnapshot } from "./catalog.js";
import { putDocument } from "./documents.js";
import {
  SNAPSHOT_FORMAT,
  UPLOADS_VERSION,
  type BlobLocation,
  type SnapshotEntry,
  type SnapshotManifest,
} from "./format.js";
import { encodeFrame } from "./frame.js";
import { hashFile, uploadLargeFile } from "./large-blob.js";
import { mapBounded } from "../flow/bounded.js";
import { PackBuilder } from "./pack-builder.js";
import { removeRunningMarker, writeRunningMarker } from "./running.js";
import { scanRoots, type ScannedEntry } from "./scan.js";
import { makeTimeId } from "../repo/time-id.js";
import { listDataObjects } from "./stored-objects.js";
import { parentCache } from "./parent-cache.js";
import { yieldEvery } from "./yield.js";

export interface SnapshotOptions {
  readonly paths: readonly string[];
  readonly packSizeBytes: number;
  readonly largeFileBytes: number;
  readonly compressLevel: number;
  /** Objects uploaded in parallel. */
  readonly concurrency: number;
  /** Packs per index checkpoint (an interrupted run's checkpointed packs are reused by the next run). */
  readonly indexEvery?: number;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  readonly onWarning?: (message: string) => void;
}

export interface SnapshotProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesRead: number;
  readonly bytesUploaded: number;
}

export interface SnapshotResult {
  readonly id: string;
  readonly key: string;
  readonly parent: string | null;
  readonly stats: SnapshotManifest["stats"];
  /** Bytes of every object this run wrote (packs, blobs, index documents, manifest). */
  readonly bytesWritten: number;
  readonly objectsWritten: number;
  /** Bytes of file content read (unchanged files known from the previous snapshot are not read). */
  readonly bytesRead: number;
  readonly durationMs: number;
}

const READERS = 16;

/**
 * Takes an incremental snapshot of `paths`: content already stored (by SHA-256) is never uploaded again; the manifest
 * is written last, so an interrupted run leaves no snapshot (its checkpointed packs are reused next time). Throws
 * PRECONDITION for a missing root, storage errors as they come.
 */
export const createUploadsSnapshot = async (storage: Storage, options: SnapshotOptions): Promise<SnapshotResult> => {
  const started = new Date();
  const startedMs = performance.now();
  const id = makeTimeId(started);
  const warn = options.onWarning ?? (() => undefined);
  await writeRunningMarker(storage, id);
  try {
    return await runSnapshot(storage, options, id, started, startedMs, warn);
  } finally {
    await removeRunningMarker(storage, id).catch(() => undefined);
  }
};

const runSnapshot = async (
  storage: Storage,
  options: SnapshotOptions,
  id: string,
  started: Date,
  startedMs: number,
  warn: (message: string) => void,
): Promise<SnapshotResult> => {
  const present = await listDataObjects(storage);
  const index = await loadBlobIndex(storage, present, (key, error) =>
    warn(`index document '${key}' skipped: ${(error as Error).message}`),
  );
  const parent = await readUploadSnapshot(storage, "latest").catch((error: unknown) => {
    if (!(error instanceof ZopsError && error.code === "NOT_FOUND"))
      warn(`previous snapshot not used as a cache: ${(error as Error).message}`);
    return undefined;
  });
  const cache = parentCache(parent, present);
  const locations = new Map<string, BlobLocation>(index.blobs);
  const pending = new Set<string>();
  const largeInFlight = new Map<string, Promise<void>>();
  const stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, newFiles: 0, newBytes: 0, uploadedBytes: 0, skipped: 0 };
  const written = { bytes: 0, objects: 0 };
  const progress = { filesDone: 0, filesTotal: 0, bytesRead: 0, bytesUploaded: 0 };
  const report = () => options.onProgress?.({ ...progress });

  const scanned = await scanRoots(options.paths, (path, reason) => {
    stats.skipped += 1;
    warn(`skipped '${path}': ${reason}`);
  });
  progress.filesTotal = scanned.filter((entry) => entry.type === "file").length;
  report();

  // Uploads, bounded by options.concurrency; the first failure stops the run.
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const unindexed: IndexedObject[] = [];
  let indexChain: Promise<unknown> = Promise.resolve();
  const checkpoint = (all: boolean) => {
    if (unindexed.length === 0 || (!all && unindexed.length < (options.indexEvery ?? 32))) return;
    const batch = unindexed.splice(0);
    indexChain = indexChain.then(async () => {
      const document = await writeBlobIndex(storage, batch);
      written.bytes += document.size;
      written.objects += 1;
    });
  };
  const recordObject = (object: IndexedObject) => {
    for (const [sha256, offset, length, size] of object.blobs) {
      locations.set(sha256, { key: object.key, objectSize: object.size, offset, length, size });
      pending.delete(sha256);
    }
    stats.uploadedBytes += object.size;
    written.bytes += object.size;
    written.objects += 1;
    unindexed.push(object);
    checkpoint(false);
  };
  const startUpload = async (work: () => Promise<void>) => {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (failure) throw failure.error;
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  let pack = new PackBuilder();
  const flushPack = async () => {
    if (pack.count === 0) return;
    const full = pack;
    pack = new PackBuilder();
    await startUpload(async () => {
      const { body, object } = full.finish(options.compressLevel);
      await storage.put(object.key, body, { size: body.length });
      progress.bytesUploaded += body.length;
      recordObject(object);
      report();
    });
  };

  // Small files are read synchronously (a thread-pool round trip costs more than the read), with regular yields to the
  // event loop.
  const pause = yieldEvery(32);
  const storeSmall = async (entry: ScannedEntry): Promise<{ sha256: string; size: number } | undefined> => {
    await pause();
    const content = readFileSync(entry.absolute);
    progress.bytesRead += content.length;
    const sha256 = sha256Of(content);
    if (!locations.has(sha256) && !pending.has(sha256)) {
      pending.add(sha256);
      pack.add(sha256, encodeFrame(sha256, content, options.compressLevel), content.length);
      stats.newFiles += 1;
      stats.newBytes += content.length;
      if (pack.bytes >= options.packSizeBytes) await flushPack();
    }
    return { sha256, size: content.length };
  };

  const storeLarge = async (entry: ScannedEntry): Promise<{ sha256: string; size: number } | undefined> => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const hashed = await hashFile(entry.absolute, (bytes) => (progress.bytesRead += bytes));
      if (locations.has(hashed.sha256) || pending.has(hashed.sha256)) {
        await largeInFlight.get(hashed.sha256);
        if (locations.has(hashed.sha256)) return hashed;
        continue;
      }
      pending.add(hashed.sha256);
      const upload = uploadLargeFile(storage, entry.absolute, hashed.sha256, options.compressLevel, (bytes) => {
        progress.bytesUploaded += bytes;
        report();
      }).then((object) => {
        if (object) recordObject(object);
        else pending.delete(hashed.sha256);
      });
      largeInFlight.set(hashed.sha256, upload);
      await upload;
      if (locations.has(hashed.sha256)) {
        stats.newFiles += 1;
        stats.newBytes += hashed.size;
        return hashed;
      }
    }
    warn(`skipped '${entry.absolute}': it kept changing while being read`);
    stats.skipped += 1;
    return undefined;
  };

  const entries = await mapBounded(scanned, READERS, async (entry): Promise<SnapshotEntry | undefined> => {
    if (failure) throw failure.error;
    const { stats: st } = entry;
    const base = {
      path: entry.path,
      type: entry.type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs,
    };
    if (entry.type === "dir") {
      stats.dirs += 1;
      return base;
    }
    if (entry.type === "symlink") {
      stats.symlinks += 1;
      return { ...base, target: entry.target };
    }
    let content: { sha256: string; size: number } | undefined;
    const cached = cache.lookup(entry);
    try {
      if (cached) {
        content = cached.content;
        if (!locations.has(content.sha256)) locations.set(content.sha256, cached.location);
      } else content = st.size >= options.largeFileBytes ? await storeLarge(entry) : await storeSmall(entry);
    } catch (error) {
      if (!["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
      warn(`skipped '${entry.absolute}': vanished during the snapshot`);
      stats.skipped += 1;
    }
    progress.filesDone += 1;
    if (progress.filesDone % 500 === 0) report();
    if (!content) return undefined;
    stats.files += 1;
    stats.bytes += content.size;
    return { ...base, ctime: st.ctimeMs, ino: st.ino, size: content.size, sha256: content.sha256 };
  });
  await flushPack();
  while (inFlight.size > 0) await Promise.race(inFlight);
  if (failure) throw failure.error;
  checkpoint(true);
  await indexChain;
  report();

  const manifest = buildManifest(id, started, options.paths, parent?.id ?? null, stats, entries, locations);
  const document = await putDocument(storage, (sha256) => uploadsSnapshotKey(id, sha256), manifest);
  return {
    id,
    key: document.key,
    parent: manifest.parent,
    stats,
    bytesWritten: written.bytes + document.size,
    objectsWritten: written.objects + 1,
    bytesRead: progress.bytesRead,
    durationMs: performance.now() - startedMs,
  };
};

const buildManifest = (
  id: string,
  started: Date,
  roots: readonly string[],
  parent: string | null,
  stats: SnapshotManifest["stats"],
  entries: readonly (SnapshotEntry | undefined)[],
  locations: ReadonlyMap<string, BlobLocation>,
): SnapshotManifest => {
  const objects: SnapshotManifest["objects"] = [];
  const objectIndex = new Map<string, number>();
  const kept: SnapshotEntry[] = [];
  for (const entry of entries) {
    if (!entry) continue;
    if (entry.type !== "file" || !entry.sha256) {
      kept.push(entry);
      continue;
    }
    const location = locations.get(entry.sha256);
    if (!location) throw new ZopsError("INTERNAL", `uploads snapshot ${id}: no stored location for '${entry.path}'`);
    let object = objectIndex.get(location.key);
    if (object === undefined) {
      object = objects.push({ key: location.key, size: location.objectSize }) - 1;
      objectIndex.set(location.key, object);
    }
    kept.push({ ...entry, object, offset: location.offset, length: location.length });
  }
  return {
    format: SNAPSHOT_FORMAT,
    version: UPLOADS_VERSION,
    id,
    host: hostname(),
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    roots: [...roots],
    parent,
    stats,
    objects,
    entries: kept,
  };
};
