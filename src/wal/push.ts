import { rename } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { ZopsConfig } from "../config/index.js";
import { messageOf } from "../errors/index.js";
import { openStorage } from "../storage/open.js";
import { settleBounded } from "./bounded.js";
import { adoptSpoolOwner } from "./spool-owner.js";
import { checkClusterOnce } from "./cluster-check.js";
import { dataDirOfWalPath } from "./data-dir.js";
import { selectPushAhead } from "./push-ahead.js";
import { sha256OfFile } from "./file-hash.js";
import { pushWalFile, type PushedWal } from "./push-file.js";
import { cleanPushSpool, listPushRecords, prepareSpool, readPushRecord, removePushRecord, writePushRecord } from "./push-spool.js";

/** What one `zops wal-push` call did. */
export interface WalPushResult {
  readonly name: string;
  /** `spooled`: a push-ahead had archived it already (checksum re-verified, no storage access). */
  readonly status: PushedWal["status"] | "spooled";
  readonly sha256: string;
  readonly pushedAhead: readonly PushedWal[];
  /** Push-ahead files that failed (PostgreSQL archives them itself later). */
  readonly aheadFailures: readonly { name: string; error: string }[];
  readonly identityCached: boolean;
  readonly durationMs: number;
}

/** Default spool location for a data directory. */
export const defaultSpoolDir = (dataDir: string): string => join(dataDir, "pg_wal", "zops-spool");

// Archives the WAL file at `path` (archive_command's %p) and pushes ahead other `.ready` files in parallel, recording
// them in the spool. Returns only once the asked-for file is safely stored (or already was); throws otherwise
// (STORAGE_* after the wrapper's retries, STORAGE_CONFLICT, REPO_INVALID), so PostgreSQL retries the file.
// Push-ahead failures never fail the call. Idempotent.
//
// Not a Listr2 graph on purpose: this runs once per WAL segment from archive_command, where the only output is
// the PostgreSQL log, a single line on failure; loading listr2 would add start-up time to every segment, and the
// "steps" are one read, one listing and one put, with retries inside the storage wrapper.
export const walPush = async (config: ZopsConfig, path: string): Promise<WalPushResult> => {
  const started = performance.now();
  const name = basename(path);
  const walDir = dirname(resolve(path));
  const dataDir = dataDirOfWalPath(path) ?? config.postgres.dataDir;
  const spool = config.wal.spoolDir ?? defaultSpoolDir(dataDir);
  await prepareSpool(spool);

  const fast = await takeSpooledRecord(spool, path, name, config.repository.url);
  if (fast) return { name, status: "spooled", sha256: fast, pushedAhead: [], aheadFailures: [], identityCached: true, durationMs: performance.now() - started };

  const storage = await openStorage(config);
  try {
    const identity = await checkClusterOnce(storage, config, dataDir, spool);
    const ahead = await selectPushAhead(walDir, name, await listPushRecords(spool), config.wal.pushAhead);
    const abort = new AbortController();
    const level = config.wal.compressLevel;
    const results = await settleBounded([name, ...ahead], config.wal.pushConcurrency, async (file, index) => {
      if (index > 0 && abort.signal.aborted) throw new Error("skipped: the asked-for file failed");
      try {
        const pushed = await pushWalFile(storage, join(walDir, file), file, { level, signal: index > 0 ? abort.signal : undefined });
        // Best effort: without the record (or the rename), PostgreSQL's own call finds the file stored ("exists").
        if (index > 0 && config.wal.markDone) await markDone(walDir, file);
        else if (index > 0) await writePushRecord(spool, { name: file, sha256: pushed.sha256, key: pushed.key, location: config.repository.url, pushedAt: new Date().toISOString() }).catch(() => undefined);
        return pushed;
      } catch (error) {
        if (index === 0) abort.abort();
        throw error;
      }
    });
    const [main, ...rest] = results;
    if (main?.status === "rejected") throw main.reason;
    if (!main) throw new Error("wal-push: no result");
    await cleanPushSpool(spool);
    await adoptSpoolOwner(spool);
    const pushedAhead = rest.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const aheadFailures = rest.flatMap((result, index) => (result.status === "rejected" ? [{ name: ahead[index] ?? "?", error: messageOf(result.reason) }] : []));
    return { name, status: main.value.status, sha256: main.value.sha256, pushedAhead, aheadFailures, identityCached: identity.cached, durationMs: performance.now() - started };
  } finally {
    await storage.close?.();
  }
};

// The fast path: a push-ahead record for this file, for this repository, whose checksum matches the file now.
// Consumes the record and returns the checksum; returns undefined (and drops a mismatching record) otherwise.
const takeSpooledRecord = async (spool: string, path: string, name: string, location: string): Promise<string | undefined> => {
  const record = await readPushRecord(spool, name);
  if (!record) return undefined;
  await removePushRecord(spool, name);
  if (record.location !== location || record.name !== name) return undefined;
  return (await sha256OfFile(path)) === record.sha256 ? record.sha256 : undefined;
};

// Tells PostgreSQL a pushed-ahead file is archived, the way its archiver does after archive_command succeeds
// (PostgreSQL 15 re-checks that `.ready` still exists before each call). Best effort.
const markDone = (walDir: string, name: string): Promise<void> =>
  rename(join(walDir, "archive_status", `${name}.ready`), join(walDir, "archive_status", `${name}.done`)).catch(() => undefined);
