import { mkdir, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TEMP_PREFIX, writeFileAtomic } from "../fsio/atomic-write.js";
import { sha256OfFile } from "./file-hash.js";
import { hashWal } from "./push-file.js";

// The wal-fetch prefetch spool: `<dataDir>/pg_wal/zops-spool/fetch/<NAME>.<sha256>`, each file the verified,
// uncompressed WAL file, written atomically. Its name carries the checksum, so a later call re-verifies it.

const ENTRY = /^([0-9A-F]{24})\.([0-9a-f]{64})$/;
const TEMP_TTL_MS = 10 * 60_000;
const ENTRY_TTL_MS = 24 * 3600_000;

/** Directory of the prefetch spool for a data directory. */
export const fetchSpoolDir = (dataDir: string): string => join(dataDir, "pg_wal", "zops-spool", "fetch");

/** Creates the spool directory (0700, idempotent). */
export const prepareFetchSpool = (dir: string): Promise<string | undefined> =>
  mkdir(dir, { recursive: true, mode: 0o700 });

/** Names of the segments waiting in the spool. */
export const listSpooled = async (dir: string): Promise<Map<string, string>> => {
  const spooled = new Map<string, string>();
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const match = ENTRY.exec(entry);
    if (match?.[1]) spooled.set(match[1], entry);
  }
  return spooled;
};

/** Stores a verified segment in the spool (atomic; replaces an older copy of the same name and checksum). */
export const spoolSegment = (dir: string, name: string, sha256: string, data: Uint8Array): Promise<void> =>
  writeFileAtomic(join(dir, `${name}.${sha256}`), data, { durable: false });

/**
 * Moves the spooled copy of `name` to `dest` after checking its SHA-256 again; returns false (and deletes the copy)
 * when it is absent or does not match. Atomic: `dest` appears whole or not at all.
 */
export const takeSpooled = async (dir: string, name: string, dest: string): Promise<boolean> => {
  const entry = (await listSpooled(dir)).get(name);
  if (!entry) return false;
  const path = join(dir, entry);
  const expected = ENTRY.exec(entry)?.[2];
  if ((await sha256OfFile(path)) !== expected) {
    await unlink(path).catch(() => undefined);
    return false;
  }
  try {
    await rename(path, dest);
  } catch {
    // Different file system (a symlinked spool): copy, verifying what was copied.
    const data = await readFile(path);
    if (hashWal(data) !== expected) return false;
    await writeFileAtomic(dest, data, { durable: false });
    await unlink(path).catch(() => undefined);
  }
  return true;
};

/**
 * Deletes spooled segments before `current` (consumed or skipped: recovery moves forward), entries older than a day and
 * stale temp files. Best effort.
 */
export const cleanFetchSpool = async (dir: string, current: string, now = Date.now()): Promise<void> => {
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, entry);
    const name = ENTRY.exec(entry)?.[1];
    if (name !== undefined && name < current) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    const ttl = entry.startsWith(TEMP_PREFIX) ? TEMP_TTL_MS : ENTRY_TTL_MS;
    if (info && now - info.mtimeMs > ttl) await unlink(path).catch(() => undefined);
  }
};
