/** The id of an uploads snapshot or secrets archive taken at `date`: `YYYYMMDDTHHMMSSmmmZ`, UTC, time order. Pure. */
export const makeTimeId = (date: Date): string => date.toISOString().replace(/[-:.]/g, "");

/** The time an id names, or undefined for a malformed id. Pure. */
export const timeOfId = (id: string): Date | undefined => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(id);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
};

/** Which uploads snapshots or secrets archives (named by time ids) to keep. The newest is always kept. */
export interface TimeIdRetention {
  /** Keep these ids. */
  readonly keepIds?: readonly string[];
  /**
   * Keep ids of this time or later, plus the newest one before it (the files as they were then): pass the start of
   * the oldest database backup kept.
   */
  readonly keepSince?: Date;
  /** Keep at least the newest N. */
  readonly keepLast?: number;
}

/** Returns the ids to keep under `policy`, in id order. Pure. */
export const selectTimeIdsToKeep = (items: readonly { readonly id: string }[], policy: TimeIdRetention): string[] => {
  const ids = items.map((item) => item.id).sort();
  const keep = new Set<string>(ids.slice(-Math.max(1, policy.keepLast ?? 1)));
  for (const id of policy.keepIds ?? []) if (ids.includes(id)) keep.add(id);
  if (policy.keepSince) {
    const since = policy.keepSince.getTime();
    const before = ids.filter((id) => (timeOfId(id)?.getTime() ?? 0) < since);
    for (const id of ids) if ((timeOfId(id)?.getTime() ?? 0) >= since) keep.add(id);
    const last = before.at(-1);
    if (last) keep.add(last);
  }
  return ids.filter((id) => keep.has(id));
};
