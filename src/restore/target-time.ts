import { ZopsError } from "../errors/index.js";

// Timestamps at PostgreSQL's precision (microseconds), so a recovery target, a backup's consistency time and the time
// in PostgreSQL's "recovery stopping before commit ..., time ..." line compare exactly. JavaScript's Date keeps only
// milliseconds, and two commits can be a few microseconds apart.

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Microseconds since the Unix epoch of a timestamp written as PostgreSQL prints it (`2026-11-23 10:00:00.123456+00`)
 * or in ISO 8601 (`2026-11-23T10:00:00Z`); undefined when it has another shape or no explicit UTC offset. Pure.
 */
export const parseMicros = (text: string): bigint | undefined => {
  const match = PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = "0", fraction = "", zone = "Z"] = match;
  const millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (!Number.isFinite(millis)) return undefined;
  let offsetMinutes = 0;
  if (/^[+-]/.test(zone)) {
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0")) * (zone[0] === "-" ? -1 : 1);
  }
  return BigInt(millis) * 1000n + BigInt(fraction.padEnd(6, "0") || "0") - BigInt(offsetMinutes) * 60_000_000n;
};

/**
 * Parses a `--target-time`; throws USAGE when it is not a timestamp with an explicit UTC offset (PostgreSQL would read
 * a bare time in the restored cluster's TimeZone, which zops cannot know when it picks the backup). Pure.
 */
export const parseTargetTime = (text: string): bigint => {
  const micros = parseMicros(text);
  if (micros === undefined)
    throw new ZopsError("USAGE", `--target-time '${text}' is not a timestamp with a UTC offset`, {
      hint: "write it with its offset, as PostgreSQL prints it: '2026-11-23 10:00:00+00' or '2026-11-23T10:00:00Z'",
    });
  return micros;
};

/** ISO 8601 in UTC with microseconds (`2026-11-23T10:00:00.123456Z`). Pure. */
export const formatMicros = (micros: bigint): string => {
  const millis = micros / 1000n;
  const rest = micros % 1000n;
  const iso = new Date(Number(millis)).toISOString();
  return `${iso.slice(0, -1)}${String(rest < 0n ? rest + 1000n : rest).padStart(3, "0")}Z`;
};
