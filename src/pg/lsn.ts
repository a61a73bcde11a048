import { ZopsError } from "../errors/index.js";

// Log sequence numbers: a byte position in the WAL, which PostgreSQL prints as two hex halves (`16/B374D848`).

/**
 * Parses an LSN written as PostgreSQL prints it (`16/B374D848`) into a byte position. Pure.
 * @throws USAGE when `lsn` is not of that form.
 */
export const parseLsn = (lsn: string): bigint => {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!match?.[1] || !match[2]) throw new ZopsError("USAGE", `'${lsn}' is not an LSN (expected the form 16/B374D848)`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
};

/** Formats a byte position as PostgreSQL prints an LSN (`16/B374D848`); the inverse of parseLsn. Pure. */
export const formatLsn = (position: bigint): string =>
  `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffff_ffffn).toString(16).toUpperCase()}`;

/**
 * Orders two LSNs written as PostgreSQL prints them: negative, zero or positive like a sort comparator. Pure.
 * @throws USAGE when either is not an LSN.
 */
export const compareLsn = (a: string, b: string): number => {
  const diff = parseLsn(a) - parseLsn(b);
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
};
