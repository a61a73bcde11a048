import { ZopsError } from "../errors/index.js";
import { parseWalKey, walFileKind, walPrefix, type WalFileKind } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";

// The catalog of archived WAL: what is stored under `wal/`, found by listing (the keys are
// content-addressed, so a listing is the whole truth; there is no index object to keep in sync).

/** One archived WAL file. */
export interface WalObject {
  /** WAL file name as PostgreSQL names it (segment, `.history` or `.backup`). */
  readonly name: string;
  readonly kind: WalFileKind;
  readonly key: string;
  /** SHA-256 (hex) of the uncompressed content. */
  readonly sha256: string;
  /** Size of the stored (compressed) object in bytes. */
  readonly size: number;
}

/**
 * Finds the stored copy of WAL file `name` (one prefix listing); undefined when absent; throws STORAGE_CONFLICT when
 * two different copies exist.
 */
export const findWalObject = async (
  storage: Storage,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<WalObject | undefined> => {
  const kind = walFileKind(name);
  if (!kind)
    throw new ZopsError("USAGE", `'${name}' is not a WAL file name (segment, NNNNNNNN.history or .backup file)`);
  const found: WalObject[] = [];
  for await (const info of storage.list(walPrefix(name), options)) {
    const parsed = parseWalKey(info.key);
    if (parsed?.name === name) found.push({ name, kind, key: info.key, sha256: parsed.sha256, size: info.size });
  }
  if (found.length > 1) {
    throw new ZopsError(
      "STORAGE_CONFLICT",
      `WAL file ${name} is stored twice with different content in ` +
        `'${storage.location}': ` +
        `${found.map((item) => item.key).join(", ")}`,
      {
        hint:
          "two clusters or two timelines wrote the same segment name; " +
          "keep the right copy (compare with the source) and delete the other",
      },
    );
  }
  return found[0];
};

/**
 * Lists every archived WAL file (segments, .history, .backup) sorted by file name; foreign keys under wal/ are ignored.
 * Several copies of one name are all returned.
 */
export const listWal = async (storage: Storage, options: { signal?: AbortSignal } = {}): Promise<WalObject[]> => {
  const objects: WalObject[] = [];
  for await (const info of storage.list("wal/", options)) {
    const parsed = parseWalKey(info.key);
    const kind = parsed && walFileKind(parsed.name);
    if (parsed && kind)
      objects.push({ name: parsed.name, kind, key: info.key, sha256: parsed.sha256, size: info.size });
  }
  return objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : 1));
};

/** Only the segments of a listing, in order (drops .history and .backup files). */
export const segmentsOf = (objects: readonly WalObject[]): WalObject[] =>
  objects.filter((object) => object.kind === "segment");

/**
 * The newest archived segment on `walStart`'s timeline at or after it, and every such segment present (a restore's
 * replay to the end of the archive must reach the newest). Read-only.
 */
export const newestArchivedSegment = async (
  storage: Storage,
  walStart: string,
): Promise<{ newest?: string; present: Set<string> }> => {
  const prefix = walStart.slice(0, 8);
  const segments = segmentsOf(await listWal(storage)).filter(
    (object) => object.name.startsWith(prefix) && object.name >= walStart,
  );
  return { newest: segments[segments.length - 1]?.name, present: new Set(segments.map((object) => object.name)) };
};
