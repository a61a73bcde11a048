import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { withLocalErrors } from "../errors/index.js";
import { join } from "node:path";
import { TEMP_PREFIX, writeFileAtomic } from "../fsio/atomic-write.js";

// The wal-push spool (docs/repository-format.md, "Spools"): one JSON record per WAL file that a
// push-ahead already archived, and the cached result of the cluster-identity check.

/**
 * The identity of a WAL file on disk when it was read for pushing: device, inode, size and mtime (ns), as decimal
 * strings.
 */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
  readonly size: string;
  readonly mtimeNs: string;
}

/** A push-ahead record: `<spool>/push/<NAME>`. */
export interface PushRecord {
  readonly name: string;
  readonly sha256: string;
  readonly key: string;
  /** Storage location it was stored in; a record for another repository is ignored. */
  readonly location: string;
  readonly pushedAt: string;
  /** The file as it was before it was read; the record serves only that same file. */
  readonly file: FileIdentity;
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

/** Default spool location for a data directory. */
export const defaultSpoolDir = (dataDir: string): string => join(dataDir, "pg_wal", "zops-spool");

/** The identity of the file at `path` now; undefined when it cannot be stat'ed. */
export const fileIdentity = async (path: string): Promise<FileIdentity | undefined> => {
  const info = await stat(path, { bigint: true }).catch(() => undefined);
  return info?.isFile()
    ? { dev: String(info.dev), ino: String(info.ino), size: String(info.size), mtimeNs: String(info.mtimeNs) }
    : undefined;
};

const sameFile = (a: FileIdentity | undefined, b: FileIdentity | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.dev === b.dev &&
  a.ino === b.ino &&
  a.size === b.size &&
  a.mtimeNs === b.mtimeNs;

/**
 * The fast path of wal-push: a push-ahead record for `name`, for this repository, made from this very file (same
 * device, inode, size and mtime: PostgreSQL never rewrites a WAL file between .ready and archiving, and any write
 * changes mtime). Consumes the record and returns the file's SHA-256; returns undefined (dropping a record that does
 * not match) otherwise.
 */
export const takeSpooledRecord = async (
  spool: string,
  path: string,
  name: string,
  location: string,
): Promise<string | undefined> => {
  const record = await readPushRecord(spool, name);
  if (!record) return undefined;
  const current = await fileIdentity(path);
  await removePushRecord(spool, name);
  return record.location === location && record.name === name && sameFile(record.file, current)
    ? record.sha256
    : undefined;
};

/**
 * Creates the spool directories (mode 0700, idempotent).
 * @throws DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the spool.
 */
export const prepareSpool = async (spool: string): Promise<void> => {
  await withLocalErrors(`unable to create the WAL spool '${spool}'`, spool, () =>
    mkdir(pushDir(spool), { recursive: true, mode: 0o700 }),
  );
};

const readJson = async <T>(path: string): Promise<T | undefined> => {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined; // missing or torn: treated as absent, never trusted
  }
};

/** Reads the push-ahead record for `name` (undefined when absent or unreadable). */
export const readPushRecord = (spool: string, name: string): Promise<PushRecord | undefined> =>
  readJson<PushRecord>(join(pushDir(spool), name));

/** Records that `name` is archived (atomic write; safe to repeat). */
export const writePushRecord = (spool: string, record: PushRecord): Promise<void> =>
  writeFileAtomic(join(pushDir(spool), record.name), JSON.stringify(record), { durable: false });

/** Removes the record for `name` (idempotent). */
export const removePushRecord = (spool: string, name: string): Promise<void> =>
  unlink(join(pushDir(spool), name)).catch(() => undefined);

/** Names that have a push-ahead record (excluding temp files). */
export const listPushRecords = async (spool: string): Promise<Set<string>> =>
  new Set((await readdir(pushDir(spool)).catch(() => [] as string[])).filter((name) => !name.startsWith(TEMP_PREFIX)));

/**
 * Deletes records older than a day and temp files older than an hour (a record is only trusted after a checksum match
 * anyway). Best effort.
 */
export const cleanPushSpool = async (spool: string, now = Date.now()): Promise<void> => {
  const names = await readdir(pushDir(spool)).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(pushDir(spool), name);
    const info = await stat(path).catch(() => undefined);
    const ttl = name.startsWith(TEMP_PREFIX) ? TEMP_TTL_MS : RECORD_TTL_MS;
    if (info && now - info.mtimeMs > ttl) await unlink(path).catch(() => undefined);
  }
};

/** Reads the cached identity check. */
export const readIdentityRecord = (spool: string): Promise<IdentityRecord | undefined> =>
  readJson<IdentityRecord>(join(spool, "identity.json"));

/** Caches a successful identity check (atomic). */
export const writeIdentityRecord = (spool: string, record: IdentityRecord): Promise<void> =>
  writeFileAtomic(join(spool, "identity.json"), JSON.stringify(record), { durable: false });
