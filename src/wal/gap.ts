import { walDirectory, walFileKind, parseWalKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { formatSegmentName, parseSegmentName } from "../pg/wal-segment.js";

/**
 * Returns the name of an archived segment of the same timeline that comes after segment `name`, or undefined. Looks in
 * `name`'s directory and the next one first (one log = 256 segments of 16 MiB), then, only when those hold nothing
 * later, lists the whole timeline, so a hole of any length is found. Non-segments: undefined. Read-only.
 */
export const findLaterSegment = async (
  storage: Storage,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<string | undefined> => {
  if (walFileKind(name) !== "segment") return undefined;
  const { timeline, segno } = parseSegmentName(name);
  const nextLog = formatSegmentName(timeline, (segno / 256n + 1n) * 256n);
  for (const prefix of [walDirectory(name), walDirectory(nextLog), `wal/${name.slice(0, 8)}`]) {
    for await (const info of storage.list(prefix, options)) {
      const parsed = parseWalKey(info.key);
      if (
        parsed &&
        walFileKind(parsed.name) === "segment" &&
        parsed.name > name &&
        parsed.name.startsWith(name.slice(0, 8))
      )
        return parsed.name;
    }
  }
  return undefined;
};
