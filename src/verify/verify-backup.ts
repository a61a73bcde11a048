import type { BackupManifest } from "../backup/manifest.js";
import type { UnpackPiece } from "../backup/pieces.js";
import type { PiecePool } from "../backup/piece-pool.js";
import { forEachBounded } from "../flow/bounded.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";

export interface VerifyProgress {
  readonly objects: number;
  readonly total: number;
  readonly bytes: number;
}

/**
 * Re-reads every data object a backup references (skipping keys in `done`, shared with other backups) and checks the
 * object SHA-256 and every piece's SHA-256 on the pool threads. Returns problem messages naming object and file;
 * read-only.
 */
export const verifyBackupObjects = async (
  storage: Storage,
  pool: PiecePool,
  manifest: BackupManifest,
  done: Set<string>,
  onProgress?: (progress: VerifyProgress) => void,
): Promise<string[]> => {
  const pieces = new Map<string, UnpackPiece[]>();
  for (const file of manifest.files) {
    for (const piece of file.pieces) {
      const list = pieces.get(piece.object) ?? [];
      list.push({
        path: file.path,
        fileOffset: piece.fileOffset,
        frameOffset: piece.frameOffset,
        frameLength: piece.frameLength,
        size: piece.size,
        sha256: piece.sha256,
      });
      pieces.set(piece.object, list);
    }
  }
  const objects = manifest.objects.filter((object) => !done.has(object.key));
  const problems: string[] = [];
  let checked = 0;
  let bytes = 0;
  await forEachBounded(objects, Math.max(2, pool.size * 2), async (object) => {
    done.add(object.key);
    let data: Buffer;
    try {
      data = await getBuffer(storage, object.key);
    } catch (error) {
      problems.push(
        `object '${object.key}' (holding ` +
          `'${pieces.get(object.key)?.[0]?.path}') could not be read: ` +
          `${(error as Error).message}`,
      );
      return;
    }
    if (data.length !== object.size)
      problems.push(`object '${object.key}' has ${data.length} bytes, the manifest says ${object.size}`);
    const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : Buffer.from(data);
    const found = await pool.run(
      {
        kind: "unpack",
        data: owned,
        key: object.key,
        objectSha256: object.sha256,
        pieces: pieces.get(object.key) ?? [],
      },
      [owned.buffer as ArrayBuffer],
    );
    problems.push(...found.map((problem) => problem.message));
    checked += 1;
    bytes += data.length;
    onProgress?.({ objects: checked, total: objects.length, bytes });
  });
  return problems.map((problem) => `backup ${manifest.id}: ${problem}`);
};
