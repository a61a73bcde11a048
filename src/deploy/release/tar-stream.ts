import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";

// zops reads release tarballs with its own reader instead of node-tar: every header, PAX record and GNU extension is
// seen (nothing an unpacker would skip can vanish), bodies are streamed with backpressure (memory stays bounded
// whatever the archive inflates to), and reading stops at the end-of-archive marker or the first refusal.

/** What an entry is, from its type flag; everything but file, directory and symlink is refused by the release rules. */
export type TarEntryKind =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "character-device"
  | "block-device"
  | "fifo"
  | "gnu-sparse"
  | "other";

/** One tar entry as stored: the name exactly as the archive gives it (after PAX and GNU long names). */
export interface TarEntry {
  readonly name: string;
  readonly kind: TarEntryKind;
  /** The raw type flag (for messages). */
  readonly typeFlag: string;
  readonly linkName: string;
  readonly size: number;
  readonly mode: number;
  readonly mtimeSeconds: number;
  /** Why this entry cannot be represented faithfully (sparse, unknown PAX keys, invalid UTF-8), if so. */
  readonly unsupported: string | undefined;
}

/** A reading problem: `entry` is the name of the entry being read (or the last one read) when known. */
export class TarReadError extends Error {
  constructor(
    message: string,
    readonly entry: string | undefined,
  ) {
    super(message);
  }
}

const BLOCK = 512;
/** Largest PAX or GNU long-name record zops reads (node-tar's default too). */
export const MAX_META_BYTES = 1024 * 1024;

// PAX keys zops understands or may drop without changing what is unpacked.
const PAX_USED = new Set(["path", "linkpath", "size"]);
const PAX_HARMLESS = new Set([
  "mtime",
  "atime",
  "ctime",
  "uid",
  "gid",
  "uname",
  "gname",
  "comment",
  "charset",
  "SCHILY.dev",
  "SCHILY.ino",
  "SCHILY.nlink",
  "SCHILY.fflags",
  "LIBARCHIVE.creationtime",
]);

const KINDS: Record<string, TarEntryKind> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "5": "directory",
  "2": "symlink",
  "1": "hardlink",
  "3": "character-device",
  "4": "block-device",
  "6": "fifo",
  S: "gnu-sparse",
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

const cString = (block: Buffer, offset: number, length: number): Buffer => {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return end < 0 ? field : field.subarray(0, end);
};

const decodeName = (bytes: Buffer): { text: string; invalid: boolean } => {
  try {
    return { text: utf8.decode(bytes), invalid: false };
  } catch {
    return { text: bytes.toString("latin1"), invalid: true };
  }
};

const parseNumber = (block: Buffer, offset: number, length: number, what: string): number => {
  const field = block.subarray(offset, offset + length);
  if ((field[0] ?? 0) & 0x80) {
    if ((field[0] ?? 0) & 0x40) throw new Error(`negative base-256 ${what}`);
    let value = (field[0] ?? 0) & 0x3f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new Error(`${what} too large`);
    return value;
  }
  const text = field
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`malformed ${what} field '${text}'`);
  const value = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new Error(`${what} too large`);
  return value;
};

const checksumValid = (block: Buffer): boolean => {
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < BLOCK; index += 1) {
    const byte = index >= 148 && index < 156 ? 0x20 : (block[index] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  let stored: number;
  try {
    stored = parseNumber(block, 148, 8, "checksum");
  } catch {
    return false;
  }
  return stored === unsigned || stored === signed;
};

/** Parses PAX records ("<len> <key>=<value>\n", lengths in bytes); throws on a malformed record. */
const parsePax = (body: Buffer): Map<string, Buffer> => {
  const records = new Map<string, Buffer>();
  let position = 0;
  while (position < body.length) {
    if (body[position] === 0) break;
    const space = body.indexOf(0x20, position);
    const length = space < 0 ? Number.NaN : Number(body.subarray(position, space).toString("latin1"));
    if (!Number.isSafeInteger(length) || length <= 0 || position + length > body.length)
      throw new Error("malformed PAX record");
    const record = body.subarray(space + 1, position + length);
    if (record[record.length - 1] !== 0x0a) throw new Error("malformed PAX record");
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new Error("malformed PAX record");
    records.set(record.subarray(0, equals).toString("utf8"), record.subarray(equals + 1, record.length - 1));
    position += length;
  }
  return records;
};

/** Pulls exact byte counts from a chunk iterator without ever holding more than one chunk plus what was asked. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  consumed = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(wanted: number): Promise<void> {
    while (this.buffered < wanted && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
  }

  /** Up to `wanted` bytes (fewer only at the end of the stream). */
  async take(wanted: number): Promise<Buffer> {
    await this.fill(wanted);
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const result = all.subarray(0, wanted);
    const rest = all.subarray(result.length);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    this.consumed += result.length;
    return result;
  }
}

/** An entry and its body; the body must be consumed (or is skipped) before the next entry is read. */
export interface TarItem {
  readonly entry: TarEntry;
  readonly body: AsyncIterable<Buffer>;
}

/** The decompressed bytes of a tarball file: gzip when it starts with the gzip magic, else plain tar. */
export const openTarball = async (file: string): Promise<AsyncIterable<Buffer> & { destroy(): void }> => {
  const probe = createReadStream(file, { start: 0, end: 1 });
  let magic = Buffer.alloc(0);
  for await (const chunk of probe) magic = Buffer.concat([magic, chunk as Buffer]);
  const raw = createReadStream(file, { highWaterMark: 64 * 1024 });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return raw;
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  raw.on("error", (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  const destroy = gunzip.destroy.bind(gunzip);
  return Object.assign(gunzip, {
    destroy: () => {
      raw.destroy();
      return destroy();
    },
  });
};

/**
 * Reads tar entries one by one from decompressed bytes (ustar, GNU and PAX headers); stops at the end-of-archive
 * marker. Throws TarReadError naming the entry for a corrupt header, truncation or an oversized meta record.
 */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarItem> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  let previous: string | undefined;
  let pax: Map<string, Buffer> | undefined;
  let globalPax = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  const fail = (message: string): never => {
    throw new TarReadError(message, previous);
  };
  for (;;) {
    const block = await reader.take(BLOCK);
    if (block.length === 0) {
      if (previous === undefined) fail("the archive is empty");
      return;
    }
    if (block.length < BLOCK) fail("the archive is truncated (partial header block)");
    if (block.every((byte) => byte === 0)) return;
    if (!checksumValid(block)) fail(previous ? "corrupt header (checksum mismatch)" : "not a tar archive");
    const typeFlag = String.fromCharCode(block[156] ?? 0);
    let size: number;
    let mode: number;
    let mtimeSeconds: number;
    try {
      size = parseNumber(block, 124, 12, "size");
      mode = parseNumber(block, 100, 8, "mode");
      mtimeSeconds = parseNumber(block, 136, 12, "mtime");
    } catch (error) {
      return fail(`corrupt header: ${(error as Error).message}`);
    }
    if (typeFlag === "x" || typeFlag === "g" || typeFlag === "L" || typeFlag === "K") {
      if (size > MAX_META_BYTES)
        fail(`a ${typeFlag === "L" || typeFlag === "K" ? "GNU long name" : "PAX"} record of ${size} bytes`);
      const body = (await reader.take(Math.ceil(size / BLOCK) * BLOCK)).subarray(0, size);
      if (body.length < size) fail("the archive is truncated");
      if (typeFlag === "L") longName = cString(body, 0, body.length);
      else if (typeFlag === "K") longLink = cString(body, 0, body.length);
      else {
        let records: Map<string, Buffer>;
        try {
          records = parsePax(body);
        } catch (error) {
          return fail((error as Error).message);
        }
        if (typeFlag === "g") globalPax = new Map([...globalPax, ...records]);
        else pax = new Map([...(pax ?? []), ...records]);
      }
      continue;
    }
    const gnu = block.subarray(257, 265).toString("latin1") === "ustar  \0";
    const ustar = block.subarray(257, 263).toString("latin1") === "ustar\0";
    let nameBytes = cString(block, 0, 100);
    const prefix = ustar && !gnu ? cString(block, 345, 155) : Buffer.alloc(0);
    if (prefix.length > 0) nameBytes = Buffer.concat([prefix, Buffer.from("/"), nameBytes]);
    let linkBytes = cString(block, 157, 100);
    if (longName) nameBytes = longName;
    if (longLink) linkBytes = longLink;
    const records = new Map([...globalPax, ...(pax ?? [])]);
    const paxPath = records.get("path");
    const paxLink = records.get("linkpath");
    if (paxPath) nameBytes = paxPath;
    if (paxLink) linkBytes = paxLink;
    const paxSize = records.get("size");
    if (paxSize !== undefined) {
      const parsed = Number(paxSize.toString("latin1"));
      if (!Number.isSafeInteger(parsed) || parsed < 0) fail("malformed PAX size");
      size = parsed;
    }
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    const name = decodeName(nameBytes);
    const link = decodeName(linkBytes);
    previous = name.text;
    let unsupported: string | undefined;
    const unknown = [...records.keys()].filter((key) => !PAX_USED.has(key) && !PAX_HARMLESS.has(key));
    if (unknown.some((key) => key.startsWith("GNU.sparse")))
      unsupported = "is a PAX sparse file (GNU.sparse.* headers), which zops does not unpack";
    else if (unknown.length > 0)
      unsupported = `carries PAX extensions zops does not apply (${unknown.slice(0, 3).join(", ")})`;
    else if (records.get("hdrcharset")?.toString() === "BINARY") unsupported = "has a PAX binary-charset name";
    else if (name.invalid) unsupported = "has a name that is not valid UTF-8";
    else if (link.invalid) unsupported = "has a link target that is not valid UTF-8";
    const entry: TarEntry = {
      name: name.text,
      kind: KINDS[typeFlag] ?? "other",
      typeFlag,
      linkName: link.text,
      size,
      mode,
      mtimeSeconds,
      unsupported,
    };
    // GNU sparse headers ('S') declare the stored size in the header; the body is skipped like any other.
    const bodyLength = Math.ceil(size / BLOCK) * BLOCK;
    let taken = 0;
    const body = (async function* () {
      let left = size;
      while (taken < bodyLength) {
        const piece = await reader.take(Math.min(64 * 1024, bodyLength - taken));
        if (piece.length === 0) fail("the archive is truncated");
        taken += piece.length;
        const useful = piece.subarray(0, Math.max(0, Math.min(piece.length, left)));
        left -= piece.length;
        if (useful.length) yield useful;
      }
    })();
    yield { entry, body };
    while (taken < bodyLength) {
      const piece = await reader.take(Math.min(64 * 1024, bodyLength - taken));
      if (piece.length === 0) fail("the archive is truncated");
      taken += piece.length;
    }
  }
}

/** Wraps a reading failure of a truncated stream (ByteReader) as TarReadError naming `entry`. */
export const asTarReadError = (error: unknown, entry: string | undefined): TarReadError =>
  error instanceof TarReadError ? error : new TarReadError((error as Error).message, entry);
