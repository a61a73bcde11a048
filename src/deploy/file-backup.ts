import { copyFile, chmod, chown, lstat, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../fsio/atomic-write.js";

/** A file about to be overwritten: where its previous content was saved (undefined: it did not exist). */
export interface FileBackup {
  readonly path: string;
  readonly backup: string | undefined;
}

/**
 * Copies each existing file (content, mode, owner) to `<dir>/<index>` before it is overwritten; records absent files as
 * such.
 */
export const backupFiles = async (paths: readonly string[], dir: string): Promise<FileBackup[]> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const result: FileBackup[] = [];
  for (const [index, path] of paths.entries()) {
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) {
      result.push({ path, backup: undefined });
      continue;
    }
    const backup = join(dir, String(index));
    await copyFile(path, backup);
    await chmod(backup, info.mode & 0o7777);
    await chown(backup, info.uid, info.gid);
    result.push({ path, backup });
  }
  return result;
};

/** Puts every file back as it was (atomic per file; removes files that did not exist). Idempotent. */
export const restoreFiles = async (backups: readonly FileBackup[]): Promise<void> => {
  for (const { path, backup } of [...backups].reverse()) {
    if (backup === undefined) {
      await rm(path, { force: true });
      continue;
    }
    const info = await lstat(backup);
    const current = await lstat(path).catch(() => undefined);
    if (current?.isFile()) {
      await chmod(path, info.mode & 0o7777);
      await chown(path, info.uid, info.gid);
    }
    await writeFileAtomic(path, await readFile(backup), { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid });
  }
};
