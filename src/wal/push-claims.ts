import { link, mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "../exec/process-alive.js";
import { TEMP_PREFIX, writeFileAtomic } from "../fsio/atomic-write.js";

// Per-file claims in `<spool>/claim/<NAME>` (docs/repository-format.md, "Spools"): which zops process is pushing
// that WAL file now (`{"pid", "start", "at"}`: its pid, its start time from /proc/<pid>/stat so that a reused pid is
// not mistaken for it, and when it claimed the file), so the background pusher and PostgreSQL's own wal-push call
// never push the same file at once. A claim is stale, and taken over, when its process is gone (or the pid now
// belongs to another process) or when it is older than the archive deadline (wal.deadlineSeconds): every push is
// bounded by that deadline, so an older claim belongs to a hung process and nobody waits on it longer. Once the
// file is stored the claim says `stored`, so the pusher does not push it again in the moment before PostgreSQL
// renames its `.ready` to `.done`; such claims are removed after an hour. (Claims holding only a pid, written by
// earlier versions, are judged by the pid alone.)

const STORED = "stored";
const STORED_TTL_MS = 3600_000;

const claimPath = (spool: string, name: string) => join(spool, "claim", name);

/** A claim's content. */
interface Claim {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot), when readable. */
  readonly start?: string;
  /** Milliseconds since the epoch when the file was claimed. */
  readonly at?: number;
}

/** The start time of process `pid` (field 22 of /proc/<pid>/stat), or undefined where /proc cannot tell. */
export const processStartTime = async (pid: number | "self"): Promise<string | undefined> => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields?.[19];
};

let ownStart: Promise<string | undefined> | undefined;

const readClaim = async (spool: string, name: string): Promise<Claim | typeof STORED | undefined> => {
  const text = await readFile(claimPath(spool, name), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  if (text === STORED) return STORED;
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const claim = JSON.parse(text) as Claim;
    return Number.isInteger(claim.pid) ? claim : undefined;
  } catch {
    return undefined; // torn or foreign: treated as stale
  }
};

/** Tells whether a claim belongs to a live process other than this one, claimed less than `maxAgeMs` ago. */
const isLive = async (claim: Claim, maxAgeMs: number | undefined, now: number): Promise<boolean> => {
  if (claim.pid <= 0 || claim.pid === process.pid || !isProcessAlive(claim.pid)) return false;
  if (claim.start !== undefined) {
    const start = await processStartTime(claim.pid);
    if (start !== undefined && start !== claim.start) return false; // the pid was reused
  }
  return maxAgeMs === undefined || claim.at === undefined || now - claim.at < maxAgeMs;
};

/** Creates the claim directory (mode 0700, idempotent). */
export const prepareClaims = async (spool: string): Promise<void> => {
  await mkdir(join(spool, "claim"), { recursive: true, mode: 0o700 });
};

/**
 * Claims `name` for this process; false when a live process holds it. A stale claim (dead or reused pid, older than
 * `maxAgeMs`, unreadable) is removed and retried once.
 */
export const tryClaim = async (spool: string, name: string, maxAgeMs?: number): Promise<boolean> => {
  const path = claimPath(spool, name);
  const temp = join(spool, "claim", `${TEMP_PREFIX}${process.pid}-${name}`);
  ownStart ??= processStartTime("self");
  const claim: Claim = { pid: process.pid, start: await ownStart, at: Date.now() };
  await writeFileAtomic(temp, JSON.stringify(claim), { durable: false });
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
      if (holder === STORED || (await claimIsLive(spool, name, maxAgeMs))) return false;
      await unlink(path).catch(() => undefined);
    }
    return false;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
};

/**
 * True when a live process other than this one claims `name` (the same process: same pid and start time), and,
 * with `maxAgeMs`, claimed it less than that long ago.
 */
export const claimIsLive = async (
  spool: string,
  name: string,
  maxAgeMs?: number,
  now = Date.now(),
): Promise<boolean> => {
  const claim = await readClaim(spool, name);
  return claim !== undefined && claim !== STORED && (await isLive(claim, maxAgeMs, now));
};

/**
 * Releases this process's claim on `name`: marks it `stored` when the file is now in the repository, else removes it
 * (idempotent, best effort).
 */
export const releaseClaim = async (spool: string, name: string, stored: boolean): Promise<void> => {
  const claim = await readClaim(spool, name);
  if (claim === undefined || claim === STORED || claim.pid !== process.pid) return;
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
