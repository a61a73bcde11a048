import { randomBytes } from "node:crypto";
import { lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { localError } from "../errors/errno.js";
import { syncDirectory } from "./sync.js";

/** Prefix of the temp files an atomic write leaves behind only when killed mid-write (spools clean them by it). */
export const TEMP_PREFIX = ".zops-tmp-";

/** How `writeFileAtomic` creates, owns and flushes the file. */
export interface AtomicWriteOptions {
  /** Mode of a new file (default 0600); an existing file keeps its own mode and owner. */
  readonly mode?: number;
  /** Owner of a new file (default: the process's). */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /**
   * true (default): fsync the file before the rename and its directory after it, so the write survives a crash once
   * this returns. false: rename only, for files zops can rebuild (caches, spool records), where a crash may lose the
   * write but never leaves a partial file under the name.
   */
  readonly durable?: boolean;
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, then rename over, so readers see the old or
 * the new content, never a mix; durable (file and directory fsynced) unless `durable: false`. Missing parent
 * directories are created (0755). Not idempotent only in the mtime it sets. The temp file is removed on failure.
 * @throws DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming `path`.
 */
export const writeFileAtomic = async (
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> => {
  try {
    await writeAtomically(path, data, options);
  } catch (error) {
    throw localError(error, `unable to write '${path}'`, dirname(path));
  }
};

const writeAtomically = async (path: string, data: Uint8Array | string, options: AtomicWriteOptions): Promise<void> => {
  const dir = dirname(path);
  const durable = options.durable ?? true;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const existing = await lstat(path).catch(() => undefined);
  const keep = existing?.isFile() === true;
  const mode = keep ? existing.mode & 0o7777 : (options.mode ?? 0o600);
  const uid = keep ? existing.uid : options.uid;
  const gid = keep ? existing.gid : options.gid;
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}-${basename(path)}`);
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      if (uid !== undefined || gid !== undefined) {
        const created = await handle.stat();
        if ((uid ?? created.uid) !== created.uid || (gid ?? created.gid) !== created.gid)
          await handle.chown(uid ?? -1, gid ?? -1);
      }
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (durable) await syncDirectory(dir);
};
