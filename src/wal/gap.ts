import { walDirectory, walFileKind, parseWalKey } from "../repo/layout.js";
import type { Storage } from "../storage/storage.js";
import { formatSegmentName, parseSegmentName } from "./segment-name.js";

// Returns the name of an archived segment of the same timeline that comes after segment `name`, or undefined.
// Looks in `name`'s directory and the next one (one log = 256 segments of 16 MiB). Non-segments: undefined. Read-only.
export const findLaterSegment = async (storage: Storage, name: string, options: { signal?: AbortSignal } = {}): Promise<string | undefined> => {
  if (walFileKind(name) !== "segment") return undefined;
  const { timeline, segno } = parseSegmentName(name);
  const nextLog = formatSegmentName(timeline, (segno / 256n + 1n) * 256n);
  for (const directory of [walDirectory(name), walDirectory(nextLog)]) {
    for await (const info of storage.list(directory, options)) {
      const parsed = parseWalKey(info.key);
      if (parsed && walFileKind(parsed.name) === "segment" && parsed.name > name) return parsed.name;
    }
  }
  return undefined;
};
