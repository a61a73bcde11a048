import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TEMP_PREFIX, writeFileAtomic } from "./atomic-file.js";

// The wal-push spool (docs/repository-format.md, "Spools"): one JSON record per WAL file that a
// push-ahead already archived, and the cached result of the cluster-identity check.

/** A push-ahead record: `<spool>/push/<NAME>`. */
export interface PushRecord {
  readonly name: string;
  readonly sha256: string;
  readonly key: string;
  /** Storage location it was stored in; a record for another repository is ignored. */
  readonly location: string;
  readonly pushedAt: string;
}

/** `<spool>/identity.json`: the repository accepted this cluster at `checkedAt`. */
export interface IdentityRecord {
  readonly location: string;
  readonly systemIdentifier: string;
  readonly pgVersion: number;
  readonly checkedAt: string;
}

const RECORD_TTL_MS = 24 * 3600_000;
const TEMP_TTL_MS = 3600_000;

const pushDir = (spool: string) => join(spool, "push");

// Creates the spool directories (mode 0700, idempotent).
export const prepareSpool = async (spool: string): Promise<void> => {
  await mkdir(pushDir(spool), { recursive: true, mode: 0o700 });
};

const readJson = async <T>(path: string): Promise<T | undefined> => {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined; // missing or torn: treated as absent, never trusted
  }
};

// Reads the push-ahead record for `name` (undefined when absent or unreadable).
export const readPushRecord = (spool: string, name: string): Promise<PushRecord | undefined> => readJson<PushRecord>(join(pushDir(spool), name));

// Records that `name` is archived (atomic write; safe to repeat).
export const writePushRecord = (spool: string, record: PushRecord): Promise<void> => writeFileAtomic(join(pushDir(spool), record.name), JSON.stringify(record));

// Removes the record for `name` (idempotent).
export const removePushRecord = (spool: string, name: string): Promise<void> => unlink(join(pushDir(spool), name)).catch(() => undefined);

// Names that have a push-ahead record (excluding temp files).
export const listPushRecords = async (spool: string): Promise<Set<string>> =>
  new Set((await readdir(pushDir(spool)).catch(() => [] as string[])).filter((name) => !name.startsWith(TEMP_PREFIX)));

// Deletes records older than a day and temp files older than an hour (a record is only trusted after a checksum match anyway). Best effort.
export const cleanPushSpool = async (spool: string, now = Date.now()): Promise<void> => {
  const names = await readdir(pushDir(spool)).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(pushDir(spool), name);
    const info = await stat(path).catch(() => undefined);
    const ttl = name.startsWith(TEMP_PREFIX) ? TEMP_TTL_MS : RECORD_TTL_MS;
    if (info && now - info.mtimeMs > ttl) await unlink(path).catch(() => undefined);
  }
};

// Reads the cached identity check.
export const readIdentityRecord = (spool: string): Promise<IdentityRecord | undefined> => readJson<IdentityRecord>(join(spool, "identity.json"));

// Caches a successful identity check (atomic).
export const writeIdentityRecord = (spool: string, record: IdentityRecord): Promise<void> => writeFileAtomic(join(spool, "identity.json"), JSON.stringify(record));
