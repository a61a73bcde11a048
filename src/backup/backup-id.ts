/**
 * Makes a backup id from the start time: `YYYYMMDDTHHMMSSF` (full) or `...I` (incremental), UTC, sortable; `-N` is
 * added when `taken` already holds that id. Pure.
 */
export const makeBackupId = (type: "full" | "incr", now: Date, taken: ReadonlySet<string> = new Set()): string => {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "");
  const base = `${stamp}${type === "full" ? "F" : "I"}`;
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base}-${n}`;
  return id;
};

/** The start time encoded in a backup id (`YYYYMMDDTHHMMSS` + F|I), or undefined for a foreign id. Pure. */
export const timeOfBackupId = (id: string): Date | undefined => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})[FI]/.exec(id);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
};
