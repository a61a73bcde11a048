import type { ZopsConfig } from "../config/index.js";
import { ZopsError } from "../errors/index.js";
import { walFileKind } from "../repo/layout.js";
import { openStorage } from "../storage/open.js";
import { attemptsOf } from "../storage/resilient.js";
import type { Storage } from "../storage/storage.js";
import { withDeadline } from "./deadline.js";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import { join } from "node:path";
import { settleBounded } from "../flow/bounded.js";
import { adoptSpoolOwner } from "./spool-owner.js";
import { dataDirOfWalPath } from "./data-dir.js";
import { fetchWalFile } from "./fetch-file.js";
import {
  cleanFetchSpool,
  fetchSpoolDir,
  listSpooled,
  prepareFetchSpool,
  spoolSegment,
  takeSpooled,
} from "./fetch-spool.js";
import { nextSegment } from "../pg/wal-segment.js";

/** What one `zops wal-fetch` call did. */
export interface WalFetchResult {
  readonly name: string;
  readonly source: "spool" | "repository";
  readonly size: number;
  readonly prefetched: readonly string[];
  readonly durationMs: number;
}

/**
 * Restores WAL file `name` to `dest` (restore_command's %f and %p): from the prefetch spool when a verified copy waits
 * there (no storage access), else from the repository, verified, while prefetching the next segments in parallel into
 * the spool under the data directory `dest` belongs to. `dest` is written atomically. Throws STORAGE_NOT_FOUND only at
 * the genuine end of the archive (cli.ts exits 1); anything else throws another code (cli.ts exits 128, so PostgreSQL
 * aborts recovery instead of promoting with less data). Prefetch failures are ignored. The whole call, retries
 * included, ends within wal.deadlineSeconds (deadline.ts).
 *
 * Single-step hot path (one process per segment during recovery), so no Listr2 graph: see wal/push.ts.
 */
export const walFetch = async (config: ZopsConfig, name: string, dest: string): Promise<WalFetchResult> => {
  const opened: { storage?: Storage } = {};
  try {
    return await withDeadline(
      config.wal.deadlineSeconds * 1000,
      `wal-fetch of ${name}`,
      (signal) => fetchWithin(config, name, dest, signal, opened),
      () => (opened.storage ? attemptsOf(opened.storage) : 0),
    );
  } catch (error) {
    // At the deadline the work may still hang on a socket: closing the storage releases it.
    await opened.storage?.close?.().catch(() => undefined);
    throw error;
  }
};

const fetchWithin = async (
  config: ZopsConfig,
  name: string,
  dest: string,
  signal: AbortSignal,
  opened: { storage?: Storage },
): Promise<WalFetchResult> => {
  const started = performance.now();
  const kind = walFileKind(name);
  if (!kind)
    throw new ZopsError("USAGE", `'${name}' is not a WAL file name`, {
      hint: "restore_command must pass %f and %p: wal-fetch %f %p",
    });
  const dataDir = dataDirOfWalPath(dest);
  let spool = dataDir && config.wal.prefetch > 0 && kind === "segment" ? fetchSpoolDir(dataDir) : undefined;
  if (spool) {
    await cleanFetchSpool(spool, name);
    if (await takeSpooled(spool, name, dest).catch(() => false))
      return { name, source: "spool", size: 0, prefetched: [], durationMs: performance.now() - started };
    // The spool is an optimisation: if it cannot be created, fetch without prefetching.
    spool = await prepareFetchSpool(spool).then(
      () => spool,
      () => undefined,
    );
  }
  const ahead = spool ? await prefetchCandidates(spool, name, config.wal.prefetch) : [];
  const storage = await openStorage(config);
  opened.storage = storage;
  try {
    const abort = new AbortController();
    signal.addEventListener("abort", () => abort.abort(), { once: true });
    const results = await settleBounded([name, ...ahead], config.wal.fetchConcurrency, async (file, index) => {
      if (index > 0 && abort.signal.aborted) throw new Error("skipped");
      try {
        const fetched = await fetchWalFile(storage, file, {
          checkEnd: index === 0,
          signal: index > 0 ? abort.signal : signal,
        });
        if (index === 0) await writeFileAtomic(dest, fetched.data, { mode: 0o600, durable: false });
        else if (spool) await spoolSegment(spool, file, fetched.object.sha256, fetched.data);
        return fetched.data.length;
      } catch (error) {
        if (index === 0) abort.abort();
        throw error;
      }
    });
    const [main, ...rest] = results;
    if (!main || main.status === "rejected") throw main?.reason ?? new Error("wal-fetch: no result");
    const prefetched = ahead.filter((_, index) => rest[index]?.status === "fulfilled");
    if (spool) await adoptSpoolOwner(join(spool, ".."));
    return { name, source: "repository", size: main.value, prefetched, durationMs: performance.now() - started };
  } finally {
    await storage.close?.();
  }
};

// The next `count` segment names after `name` that are not already spooled.
const prefetchCandidates = async (spool: string, name: string, count: number): Promise<string[]> => {
  const spooled = await listSpooled(spool);
  const names: string[] = [];
  let current = name;
  for (let index = 0; index < count; index += 1) {
    current = nextSegment(current);
    if (!spooled.has(current)) names.push(current);
  }
  return names;
};
