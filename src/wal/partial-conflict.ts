import { readFile } from "node:fs/promises";
import { compressBuffer } from "../compress/zstd.js";
import { ZopsError } from "../errors/index.js";
import { replacedWalKey, walFileKind, walKey } from "../repo/layout.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { fetchWalFile } from "./fetch-file.js";
import { hashWal } from "./push-file.js";
import { isUnfinishedCopy } from "./segment-content.js";

/** What `--replace-partial` did: the finished segment stored, the unfinished copy kept aside. */
export interface ReplacedWal {
  readonly name: string;
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  /** Where the unfinished copy now is. */
  readonly asideKey: string;
}

/**
 * Explains or resolves a STORAGE_CONFLICT of `wal-push`: when the stored copy of segment `name` is provably an
 * unfinished copy of the file at `path` (same cluster, identical pages, stopped short), throws STORAGE_CONFLICT naming
 * that cause and `--replace-partial`, or with `replace` keeps the stored copy aside (replacedWalKey) and stores the
 * finished file. Any other conflict is rethrown as it was; `replace` on one throws PRECONDITION and changes nothing.
 */
export const resolvePartialConflict = async (
  storage: Storage,
  path: string,
  name: string,
  conflict: ZopsError,
  options: { replace: boolean; level: number; now?: () => Date },
): Promise<ReplacedWal> => {
  if (walFileKind(name) !== "segment") {
    if (options.replace) throw notPartial(path, name, "it is not a WAL segment");
    throw conflict;
  }
  const local = await readFile(path);
  const stored = await fetchWalFile(storage, name, { checkEnd: false });
  if (!isUnfinishedCopy(stored.data, local, name)) {
    if (options.replace) throw notPartial(path, name, "the stored copy is not an unfinished copy of this file");
    throw conflict;
  }
  if (!options.replace) {
    throw new ZopsError(
      "STORAGE_CONFLICT",
      `WAL segment ${name} in '${storage.location}' is an unfinished copy of this cluster's segment (same system ` +
        "identifier, identical pages, stopped where PostgreSQL was still writing): it was archived before " +
        "PostgreSQL marked it ready (a hand test of wal-push?); nothing was overwritten",
      {
        hint:
          `as the postgres OS user, in the data directory: zops wal-push --replace-partial ${path} ` +
          "(stores the finished segment and keeps the unfinished copy aside under replaced/)",
        details: { name, storedKey: stored.object.key },
      },
    );
  }
  const sha256 = hashWal(local);
  const key = walKey(name, sha256);
  const asideKey = replacedWalKey(stored.object.key, (options.now ?? (() => new Date()))());
  const oldBytes = await getBuffer(storage, stored.object.key);
  await storage.put(asideKey, oldBytes, { size: oldBytes.length });
  await storage.delete([stored.object.key]);
  const compressed = compressBuffer(local, options.level);
  await storage.put(key, compressed, { size: compressed.length });
  return { name, key, sha256, size: local.length, asideKey };
};

const notPartial = (path: string, name: string, why: string): ZopsError =>
  new ZopsError("PRECONDITION", `refusing to replace the stored copy of ${name}: ${why}; nothing was changed`, {
    hint:
      `--replace-partial only replaces a provably unfinished copy of ${path}; ` +
      "compare the copies before deleting anything",
  });
