import { link, mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "../exec/process-alive.js";
import { TEMP_PREFIX, writeFileAtomic } from "../fsio/atomic-write.js";

// Per-file claims in `<spool>/claim/<NAME>` (docs/repository-format.md, "Spools"): the pid of the zops process
// that is pushing that WAL file now, so the background pusher and PostgreSQL's own wal-push call never push the
// same file at once. A claim of a dead process is stale and is taken over. Once the file is stored the claim says
// `stored` instead of a pid, so the pusher does not push it again in the moment before PostgreSQL renames its
// `.ready` to `.done`; such claims are removed after an hour.

const STORED = "stored";
const STORED_TTL_MS = 3600_000;

const claimPath = (spool: string, name: string) => join(spool, "claim", name);

/** Creates the claim directory (mode 0700, idempotent). */
export const prepareClaims = async (spool: string): Promise<void> => {
  await mkdir(join(spool, "claim"), { recursive: true, mode: 0o700 });
};

/**
 * Claims `name` for this process; false when a live process holds it. A stale claim (dead pid, unreadable) is removed
 * and retried once.
 */
export const tryClaim = async (spool: string, name: string): Promise<boolean> => {
  const path = claimPath(spool, name);
  const temp = join(spool, "claim", `${TEMP_PREFIX}${process.pid}-${name}`);
  await writeFileAtomic(temp, String(process.pid), { durable: false });
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        // link() fails with EEXIST atomically, and the claim appears with its pid already written.
        await link(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readFile(path, "utf8").catch(() => "");
      if (holder === STORED || (await claimIsLive(spool, name))) return false;
      await unlink(path).catch(() => undefined);
    }
    return false;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
};

/** True when a live process other than this one claims `name`. */
export const claimIsLive = async (spool: string, name: string): Promise<boolean> => {
  const pid = Number(await readFile(claimPath(spool, name), "utf8").catch(() => ""));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid);
};

/**
 * Releases this process's claim on `name`: marks it `stored` when the file is now in the repository, else removes it
 * (idempotent, best effort).
 */
export const releaseClaim = async (spool: string, name: string, stored: boolean): Promise<void> => {
  const pid = Number(await readFile(claimPath(spool, name), "utf8").catch(() => ""));
  if (pid !== process.pid) return;
  if (stored) await writeFileAtomic(claimPath(spool, name), STORED, { durable: false }).catch(() => undefined);
  else await unlink(claimPath(spool, name)).catch(() => undefined);
};

/** Removes `stored` claims older than an hour and temp files of dead writers. Best effort. */
export const cleanClaims = async (spool: string, now = Date.now()): Promise<void> => {
  const dir = join(spool, "claim");
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info && now - info.mtimeMs > STORED_TTL_MS) await unlink(join(dir, name)).catch(() => undefined);
  }
};
