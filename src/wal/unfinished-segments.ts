import { decompressBuffer } from "../compress/zstd.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import type { WalObject } from "./catalog.js";
import { readSegmentContent } from "./segment-content.js";

/** How many of the newest archived segments `zops check` reads back to make sure each is a finished segment. */
export const NEWEST_SEGMENTS_READ = 16;

/**
 * Reads back the newest `limit` segments of `segments` (sorted by name) and returns those whose content is not a
 * finished WAL segment of that name (an unfinished copy, or not a segment at all), oldest first. Read-only; storage
 * errors propagate.
 */
export const findUnfinishedSegments = async (
  storage: Storage,
  segments: readonly WalObject[],
  limit = NEWEST_SEGMENTS_READ,
): Promise<WalObject[]> => {
  const unfinished: WalObject[] = [];
  for (const object of segments.slice(-limit)) {
    const content = readSegmentContent(decompressBuffer(await getBuffer(storage, object.key)), object.name);
    if (!content.complete) unfinished.push(object);
  }
  return unfinished;
};
