import { segmentStartLsn } from "../pg/wal-segment.js";

// Reads a WAL segment's own structure (pure): page headers and the chain of records, enough to tell a finished
// segment from a copy taken while PostgreSQL was still writing it. Layout (access/xlog_internal.h, xlogrecord.h):
// every page starts with XLogPageHeaderData (magic u16, info u16, tli u32, pageaddr u64, rem_len u32; 24 bytes
// aligned), the first page with the long form (+ sysid u64, seg_size u32, xlog_blcksz u32; 40 bytes aligned).
// Records (XLogRecord: tot_len u32, xid u32, prev u64, info u8, rmid u8, 2 pad, crc u32) follow one another at 8-byte
// alignment in the page space after the headers, and may cross pages.

const SEGMENT_NAME = /^[0-9A-F]{24}$/;
const XLP_LONG_HEADER = 0x0002;
const SHORT_HEADER = 24;
const LONG_HEADER = 40;
const RECORD_HEADER = 24;
const RM_XLOG_ID = 0;
const XLOG_SWITCH = 0x40;

/** What a WAL segment's bytes say about themselves. */
export interface SegmentContent {
  /** False when the first page is not a WAL segment's first page for this name (then nothing else is known). */
  readonly isSegment: boolean;
  /** PostgreSQL system identifier from the first page's long header (0 when not a segment). */
  readonly systemId: bigint;
  /** Pages whose header belongs to this segment, counted from the first (the rest are zeros or a recycled file's). */
  readonly validPages: number;
  readonly pageSize: number;
  /**
   * True when the records run to the end of the segment or end with a WAL switch: PostgreSQL finished the file. False
   * for a copy taken while it was being written (records stop short, the rest unwritten).
   */
  readonly complete: boolean;
}

const align8 = (value: number): number => (value + 7) & ~7;

/**
 * Reads segment `name`'s structure from its bytes (pure): the system identifier, how many pages belong to it and
 * whether PostgreSQL had finished writing it; never throws (bytes that are not a segment give isSegment false).
 */
export const readSegmentContent = (data: Uint8Array, name: string): SegmentContent => {
  const notSegment: SegmentContent = { isSegment: false, systemId: 0n, validPages: 0, pageSize: 0, complete: false };
  if (!SEGMENT_NAME.test(name) || data.length < LONG_HEADER) return notSegment;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint16(0, true);
  const info = view.getUint16(2, true);
  const segmentSize = view.getUint32(32, true);
  const pageSize = view.getUint32(36, true);
  const plausible =
    (info & XLP_LONG_HEADER) !== 0 &&
    segmentSize === data.length &&
    pageSize >= 1024 &&
    (pageSize & (pageSize - 1)) === 0 &&
    segmentSize % pageSize === 0;
  if (!plausible) return notSegment;
  const start = segmentStartLsn(name, segmentSize);
  if (view.getBigUint64(8, true) !== start) return notSegment;
  const systemId = view.getBigUint64(24, true);
  const pages = segmentSize / pageSize;
  let validPages = 0;
  while (
    validPages < pages &&
    view.getUint16(validPages * pageSize, true) === magic &&
    view.getBigUint64(validPages * pageSize + 8, true) === start + BigInt(validPages * pageSize)
  )
    validPages += 1;
  return { isSegment: true, systemId, validPages, pageSize, complete: recordsFinish(view, validPages, pageSize) };
};

// Walks the records of the valid pages. The usable space is the concatenation of each page after its header; the
// first page's rem_len is the tail of a record begun in the previous segment.
const recordsFinish = (view: DataView, validPages: number, pageSize: number): boolean => {
  const usablePerPage = pageSize - SHORT_HEADER;
  const firstUsable = pageSize - LONG_HEADER;
  const totalPages = view.byteLength / pageSize;
  const usableEnd = (pages: number): number => (pages === 0 ? 0 : firstUsable + (pages - 1) * usablePerPage);
  const segmentUsable = usableEnd(totalPages);
  const validUsable = usableEnd(validPages);
  // Byte offset in the file of usable position `position` (which must be < validUsable).
  const offsetOf = (position: number): number =>
    position < firstUsable
      ? LONG_HEADER + position
      : pageSize * (1 + Math.floor((position - firstUsable) / usablePerPage)) +
        SHORT_HEADER +
        ((position - firstUsable) % usablePerPage);
  const byteAt = (position: number): number => view.getUint8(offsetOf(position));
  const u32At = (position: number): number =>
    byteAt(position) |
    (byteAt(position + 1) << 8) |
    (byteAt(position + 2) << 16) |
    ((byteAt(position + 3) << 24) >>> 0);

  if (validPages === 0) return false;
  // Usable positions are 8-aligned exactly when file offsets are (headers are multiples of 8).
  let position = align8(view.getUint32(16, true));
  for (;;) {
    if (position >= segmentUsable) return validPages === totalPages; // the records fill the segment
    if (position + 4 > validUsable) return false; // the copy stops before the next record
    const length = u32At(position) >>> 0;
    if (length === 0) return false; // unwritten space: PostgreSQL was still writing here
    if (length < RECORD_HEADER) return false; // not a record: treat as unfinished, never as complete
    if (position + RECORD_HEADER > validUsable) return validPages === totalPages; // header crosses into the next file
    const rmid = byteAt(position + 17);
    const info = byteAt(position + 16);
    if (rmid === RM_XLOG_ID && (info & 0xf0) === XLOG_SWITCH) return true; // the rest of the file is padding
    const end = position + length;
    if (end > segmentUsable) return validPages === totalPages; // continues in the next segment
    position = align8(end);
  }
};

/**
 * True when `stored` is provably a copy of this same segment taken before PostgreSQL finished it, and `local` is the
 * finished file (pure): same system identifier, `stored` unfinished, `local` complete, and every page of `stored`
 * but the last one written identical to `local`.
 */
export const isUnfinishedCopy = (stored: Uint8Array, local: Uint8Array, name: string): boolean => {
  const old = readSegmentContent(stored, name);
  const now = readSegmentContent(local, name);
  if (!old.isSegment || !now.isSegment || old.complete || !now.complete) return false;
  if (old.systemId !== now.systemId || old.pageSize !== now.pageSize || stored.length !== local.length) return false;
  const same = Math.max(0, old.validPages - 1) * old.pageSize;
  return Buffer.from(stored.buffer, stored.byteOffset, same).equals(Buffer.from(local.buffer, local.byteOffset, same));
};
