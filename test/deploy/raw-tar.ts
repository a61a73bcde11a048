import { gzipSync } from "node:zlib";

/** One hand-made tar entry (for deliberately hostile tarballs the tar package refuses to create). */
export interface RawEntry {
  readonly name: string;
  /**
   * Type flag: 0 file, 1 hard link, 2 symlink, 3 char device, 4 block device, 5 directory, 6 fifo, 7 contiguous,
   * x PAX, g PAX global, L GNU long name, K GNU long link, S GNU sparse, D/M/N/V other GNU types.
   */
  readonly type?: string;
  readonly linkname?: string;
  readonly body?: Buffer | string;
  /** Declared size when no body is given (huge files, only the header is written). */
  readonly size?: number;
  /** PAX records placed in an 'x' header right before this entry. */
  readonly pax?: Record<string, string>;
  /** GNU long name ('L' header) placed right before this entry; `name` then goes in the header as given. */
  readonly gnuLongName?: string;
  /** GNU magic ("ustar  \0") instead of POSIX ustar. */
  readonly gnu?: boolean;
  readonly mode?: number;
}

const field = (header: Buffer, offset: number, length: number, value: string | Buffer) =>
  typeof value === "string"
    ? header.write(value.slice(0, length), offset, length, "utf8")
    : value.copy(header, offset, 0, Math.min(length, value.length));
const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;

const headerBlock = (entry: RawEntry, bodyLength: number): Buffer => {
  const header = Buffer.alloc(512);
  field(header, 0, 100, entry.name);
  field(header, 100, 8, octal(entry.mode ?? (entry.type === "5" ? 0o755 : 0o644), 8));
  field(header, 108, 8, octal(0, 8));
  field(header, 116, 8, octal(0, 8));
  field(header, 124, 12, octal(bodyLength, 12));
  field(header, 136, 12, octal(1_700_000_000, 12));
  field(header, 148, 8, "        ");
  field(header, 156, 1, entry.type ?? "0");
  field(header, 157, 100, entry.linkname ?? "");
  if (entry.gnu) field(header, 257, 8, "ustar  \0");
  else {
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
  }
  let sum = 0;
  for (const byte of header) sum += byte;
  field(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
};

const pad = (length: number) => Buffer.alloc((512 - (length % 512)) % 512);

/** PAX records as stored: "<len> <key>=<value>\n" with the length counting itself. */
export const paxRecords = (records: Record<string, string>): Buffer =>
  Buffer.concat(
    Object.entries(records).map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(text);
      length += String(length + String(length).length).length;
      return Buffer.from(`${length}${text}`);
    }),
  );

/** Encodes entries as an uncompressed tar archive, byte for byte as given (no path sanitising). */
export const rawTar = (entries: readonly RawEntry[]): Buffer => {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    if (entry.pax) {
      const body = paxRecords(entry.pax);
      blocks.push(headerBlock({ name: "PaxHeader", type: "x" }, body.length), body, pad(body.length));
    }
    if (entry.gnuLongName !== undefined) {
      const body = Buffer.from(`${entry.gnuLongName}\0`);
      blocks.push(headerBlock({ name: "././@LongLink", type: "L", gnu: true }, body.length), body, pad(body.length));
    }
    const body =
      entry.body !== undefined
        ? Buffer.from(entry.body)
        : (entry.size ?? 0) > 0 && (entry.size ?? 0) <= 16 * 1024 * 1024
          ? Buffer.alloc(entry.size ?? 0)
          : undefined;
    blocks.push(headerBlock(entry, body?.length ?? entry.size ?? 0));
    if (body) blocks.push(body, pad(body.length));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
};

/** Encodes entries as a gzipped tar archive (see rawTar). */
export const rawTarball = (entries: readonly RawEntry[]): Buffer => gzipSync(rawTar(entries));
