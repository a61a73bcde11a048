import { chown, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * When zops runs as root (an operator running wal-push/wal-fetch by hand), gives the spool directory tree the owner of
 * the directory that holds it (pg_wal, owned by the postgres OS user), so the archiver's later calls can still write
 * there. No-op for other users. Best effort: never throws.
 */
export const adoptSpoolOwner = async (spool: string): Promise<void> => {
  if (process.getuid?.() !== 0) return;
  try {
    const owner = await stat(dirname(spool));
    if (owner.uid === 0) return;
    const walk = async (path: string): Promise<void> => {
      await chown(path, owner.uid, owner.gid);
      const info = await stat(path);
      if (info.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry));
    };
    await walk(spool);
  } catch {
    // ownership is a convenience for mixed root/postgres use; the spool is only an optimisation
  }
};
