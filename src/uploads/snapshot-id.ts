/** Snapshot/archive id for a time: `YYYYMMDDTHHMMSSmmmZ` in UTC (sorts by time; pure). */
export const makeTimeId = (date: Date): string => date.toISOString().replace(/[-:.]/g, "");

/** The time an id names, or undefined for a malformed id (pure). */
export const timeOfId = (id: string): Date | undefined => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(id);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
};
