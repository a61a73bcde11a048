import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresRunAs } from "../../src/pg/os-user.js";

const cleanups = new Set<string>();

/**
 * Makes a temp directory; when running as root it is owned by the postgres OS user so PostgreSQL and wal-push can write
 * it.
 */
export const makeTempDir = async (label: string, options: { forPostgres?: boolean } = {}): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), `zops-${label}-`));
  await chmod(dir, 0o755);
  if (options.forPostgres !== false) {
    const user = await postgresRunAs();
    if (user) await chown(dir, user.uid, user.gid);
  }
  cleanups.add(dir);
  return dir;
};

/** Removes a temp directory made by makeTempDir (idempotent). */
export const removeTempDir = async (dir: string): Promise<void> => {
  await rm(dir, { recursive: true, force: true });
  cleanups.delete(dir);
};
