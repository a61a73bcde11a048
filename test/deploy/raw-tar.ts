import { gzipSync } from "node:zlib";

/** One hand-made tar entry (for deliberately hostile tarballs the tar package refuses to create). */
export interface RawEntry {
  readonly name: string;
  /** ustar type flag: 0 file, 1 hard link, 2 symlink, 3 char device, 4 block device, 5 directory, 6 fifo. */
  readonly type?: "0" | "1" | "2" | "3" | "4" | "5" | "6";
  readonly linkname?: string;
  readonly body?: Buffer | string;
  /** Declared size when no body is given (sparse huge files). */
  readonly size?: number;
}

const field = (header: Buffer, offset: number, length: number, value: string) =>
  header.write(value.slice(0, length), offset, length, "utf8");
const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;

/** Encodes entries as a gzipped ustar archive, byte for byte as given (no path sanitising). */
export const rawTarball = (entries: readonly RawEntry[]): Buffer => {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(entry.size ?? 0) : Buffer.from(entry.body);
    const header = Buffer.alloc(512);
    field(header, 0, 100, entry.name);
    field(header, 100, 8, octal(entry.type === "5" ? 0o755 : 0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(body.length, 12));
    field(header, 136, 12, octal(1_700_000_000, 12));
    field(header, 148, 8, "        ");
    field(header, 156, 1, entry.type ?? "0");
    field(header, 157, 100, entry.linkname ?? "");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    let sum = 0;
    for (const byte of header) sum += byte;
    field(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
};
