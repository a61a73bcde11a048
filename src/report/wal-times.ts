import { parseWalKey, walFileKind } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";

/** An archived WAL segment and when it was stored (the storage's modification time, when it reports one). */
export interface SegmentTime {
  readonly name: string;
  readonly storedAt: Date | undefined;
}

/**
 * The archived WAL segments (not .history/.backup files) with their storage times, sorted by name; one entry per
 * name (the newest time when a name is stored twice). Read-only: one listing of `wal/`.
 */
export const listSegmentTimes = async (storage: Storage): Promise<SegmentTime[]> => {
  const byName = new Map<string, Date | undefined>();
  for await (const info of storage.list("wal/")) {
    const parsed = parseWalKey(info.key);
    if (!parsed || walFileKind(parsed.name) !== "segment") continue;
    const known = byName.get(parsed.name);
    byName.set(parsed.name, known && info.modified && known > info.modified ? known : (info.modified ?? known));
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, storedAt]) => ({ name, storedAt }));
};
