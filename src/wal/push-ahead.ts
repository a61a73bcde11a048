import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { walFileKind } from "../repo/layout.js";

/**
 * Picks the WAL files to push ahead: `.ready` in `<walDir>/archive_status`, except `current` and those already recorded
 * in the spool, in the order PostgreSQL's archiver would take them (timeline history first, then oldest first), at most
 * `limit`. Read-only.
 */
export const selectPushAhead = async (
  walDir: string,
  current: string,
  recorded: ReadonlySet<string>,
  limit: number,
): Promise<string[]> => {
  if (limit <= 0) return [];
  const entries = await readdir(join(walDir, "archive_status")).catch(() => [] as string[]);
  const ready = entries
    .filter((entry) => entry.endsWith(".ready"))
    .map((entry) => entry.slice(0, -".ready".length))
    .filter((name) => name !== current && walFileKind(name) !== undefined && !recorded.has(name));
  const rank = (name: string) => (walFileKind(name) === "history" ? 0 : 1);
  return ready.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)).slice(0, limit);
};
