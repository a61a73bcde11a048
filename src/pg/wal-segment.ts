import { ZopsError } from "../errors/index.js";
import { parseLsn } from "./lsn.js";

// WAL file name arithmetic (pure). A segment name is TTTTTTTTXXXXXXXXYYYYYYYY: timeline,
// then the segment number split into "log" (high) and "seg" (low) parts, where one log holds
// 4 GiB / segment size segments (256 for the default 16 MiB).

/** PostgreSQL's default WAL segment size. */
export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const hex8 = (value: number | bigint): string => value.toString(16).toUpperCase().padStart(8, "0");

const segmentsPerLog = (segmentSize: number): bigint => 0x1_0000_0000n / BigInt(segmentSize);

/** A segment name taken apart. */
export interface SegmentParts {
  readonly timeline: number;
  /** Segment number counted from LSN 0 (LSN / segment size). */
  readonly segno: bigint;
}

/** Splits a segment name into timeline and segment number; throws USAGE for anything that is not a segment name. */
export const parseSegmentName = (name: string, segmentSize = DEFAULT_SEGMENT_SIZE): SegmentParts => {
  const match = SEGMENT_NAME.exec(name);
  if (!match?.[1] || !match[2] || !match[3])
    throw new ZopsError("USAGE", `'${name}' is not a WAL segment name (24 hex digits)`);
  return {
    timeline: parseInt(match[1], 16),
    segno: BigInt(`0x${match[2]}`) * segmentsPerLog(segmentSize) + BigInt(`0x${match[3]}`),
  };
};

/** Builds the segment name for a timeline and segment number (inverse of parseSegmentName). */
export const formatSegmentName = (timeline: number, segno: bigint, segmentSize = DEFAULT_SEGMENT_SIZE): string => {
  const perLog = segmentsPerLog(segmentSize);
  return `${hex8(timeline)}${hex8(segno / perLog)}${hex8(segno % perLog)}`;
};

/** Name of the segment after `name` on the same timeline (handles the log boundary). */
export const nextSegment = (name: string, segmentSize = DEFAULT_SEGMENT_SIZE): string => {
  const { timeline, segno } = parseSegmentName(name, segmentSize);
  return formatSegmentName(timeline, segno + 1n, segmentSize);
};

/**
 * Name of the segment holding `lsn` on `timeline` (like pg_walfile_name, except that an LSN exactly on a boundary
 * belongs to the segment it starts).
 */
export const segmentForLsn = (lsn: string | bigint, timeline: number, segmentSize = DEFAULT_SEGMENT_SIZE): string => {
  const position = typeof lsn === "bigint" ? lsn : parseLsn(lsn);
  return formatSegmentName(timeline, position / BigInt(segmentSize), segmentSize);
};

/** First LSN inside segment `name`. */
export const segmentStartLsn = (name: string, segmentSize = DEFAULT_SEGMENT_SIZE): bigint =>
  parseSegmentName(name, segmentSize).segno * BigInt(segmentSize);

/**
 * Orders two WAL file names by timeline, then position (for segments equal to plain string order); negative, 0 or
 * positive.
 */
export const compareWalNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Segment names from `first` to `last` inclusive on first's timeline (for gap checks); empty when last < first. */
export const segmentRange = (first: string, last: string, segmentSize = DEFAULT_SEGMENT_SIZE): string[] => {
  const from = parseSegmentName(first, segmentSize);
  const to = parseSegmentName(last, segmentSize);
  const names: string[] = [];
  for (let segno = from.segno; segno <= to.segno; segno += 1n)
    names.push(formatSegmentName(from.timeline, segno, segmentSize));
  return names;
};
