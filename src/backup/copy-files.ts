import { ZopsError } from "../errors/index.js";
import { crashPoint } from "../fault/crash-point.js";
import { backupObjectKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import type { ManifestFile, ManifestObject, ManifestPiece } from "./manifest.js";
import { fileDigest, type BackupPlan } from "./plan.js";
import type { PiecePool } from "./piece-pool.js";

export interface CopyProgress {
  /** Uncompressed bytes read and stored so far, and their stored size. */
  readonly bytes: number;
  readonly stored: number;
  readonly objects: number;
}

export interface CopyResult {
  readonly files: ManifestFile[];
  readonly objects: ManifestObject[];
  readonly copied: number;
  readonly stored: number;
}

/**
 * Runs the plan's object jobs on the pool (read+hash+compress in threads) and stores each object as it completes, with
 * at most `pool.size * 2` objects in memory. Each put is atomic; on failure, objects already written stay for the
 * caller's rollback (or `zops expire`) and the first error is thrown.
 */
export const copyFiles = async (
  storage: Storage,
  pool: PiecePool,
  backupId: string,
  plan: BackupPlan,
  options: { level: number; onProgress?: (progress: CopyProgress) => void; signal?: AbortSignal },
): Promise<CopyResult> => {
  const pieces = new Map<number, ManifestPiece[]>();
  const vanished = new Set<number>();
  const objects: ManifestObject[] = [];
  const progress = { bytes: 0, stored: 0, objects: 0 };
  const limit = Math.max(2, pool.size * 2);
  let failure: unknown;
  const running = new Set<Promise<void>>();
  for (const job of plan.jobs) {
    if (options.signal?.aborted) failure ??= new ZopsError("INTERRUPTED", `backup ${backupId} interrupted`);
    if (failure) break;
    const work = (async () => {
      const key = backupObjectKey(backupId, job.sequence);
      const packed = await pool.run({
        kind: "pack",
        level: options.level,
        pieces: job.pieces.map((piece) => ({
          absolute: (plan.copied[piece.file] ?? fail(piece.file)).absolute,
          offset: piece.offset,
          length: piece.length,
        })),
      });
      const data = Buffer.from(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength);
      await storage.put(key, data, { size: data.length, signal: options.signal });
      objects.push({ key, size: data.length, sha256: packed.sha256 });
      crashPoint("backup.object-stored");
      packed.pieces.forEach((result, index) => {
        const piece = job.pieces[index];
        if (!piece) return;
        if (result.vanished) vanished.add(piece.file);
        const list = pieces.get(piece.file) ?? [];
        list.push({
          object: key,
          frameOffset: result.frameOffset,
          frameLength: result.frameLength,
          fileOffset: piece.offset,
          size: result.size,
          sha256: result.sha256,
        });
        pieces.set(piece.file, list);
        progress.bytes += result.size;
      });
      progress.stored += data.length;
      progress.objects += 1;
      options.onProgress?.({ ...progress });
    })().catch((error: unknown) => {
      failure ??= error;
    });
    running.add(work);
    void work.finally(() => running.delete(work));
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure;
  const files: ManifestFile[] = [];
  plan.copied.forEach((file, index) => {
    if (vanished.has(index)) return;
    const list = (pieces.get(index) ?? []).sort((a, b) => a.fileOffset - b.fileOffset);
    const size = list.reduce((end, piece) => Math.max(end, piece.fileOffset + piece.size), 0);
    files.push({
      path: file.path,
      size,
      mode: file.mode,
      mtimeMs: file.mtimeMs,
      sha256: fileDigest(list.map((piece) => piece.sha256)),
      storedIn: backupId,
      pieces: list,
    });
  });
  objects.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { files, objects, copied: progress.bytes, stored: progress.stored };
};

const fail = (index: number): never => {
  throw new ZopsError("INTERNAL", `backup plan references unknown file #${index}`);
};
