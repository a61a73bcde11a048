import { randomBytes } from "node:crypto";
import { lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Mode and owner for a file that does not exist yet (an existing file keeps its own). */
export interface NewFileAttributes {
  readonly mode: number;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/**
 * Writes `content` to `path` atomically (temp file in the same directory, fsync, rename over, fsync the directory):
 * readers see the old or the new file, never a mix. An existing file keeps its mode and owner; a new one gets
 * `attributes`. Parent directories are created (0755).
 */
export const writeFileAtomic = async (
  path: string,
  content: string | Buffer,
  attributes: NewFileAttributes,
): Promise<void> => {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const existing = await lstat(path).catch(() => undefined);
  const mode = existing?.isFile() ? existing.mode & 0o7777 : attributes.mode;
  const uid = existing?.isFile() ? existing.uid : attributes.uid;
  const gid = existing?.isFile() ? existing.gid : attributes.gid;
  const temp = join(dir, `.${basename(path)}.zops-tmp-${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      if (uid !== undefined || gid !== undefined) await handle.chown(uid ?? -1, gid ?? -1);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
};

/** Flushes a directory entry change (rename) to disk; best effort on filesystems that refuse it. */
export const syncDirectory = async (dir: string): Promise<void> => {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
};
