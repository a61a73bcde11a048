import { open } from "node:fs/promises";
import { gzipSync } from "node:zlib";

/**
 * Writes a gzip bomb: a release whose entry `top/zeros.bin` declares `bytes` bytes of zeros, all of them present in
 * the gzip stream (concatenated gzip members of 1 MiB of zeros each: about 1 KiB per MiB on disk).
 */
export const writeGzipBomb = async (file: string, bytes: number): Promise<void> => {
  const header = Buffer.alloc(512);
  const put = (offset: number, value: string) => header.write(value, offset, "latin1");
  put(0, "top/zeros.bin");
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, `${bytes.toString(8).padStart(11, "0")}\0`);
  put(136, "14000000000\0");
  put(148, "        ");
  put(156, "0");
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  const handle = await open(file, "w");
  try {
    await handle.write(gzipSync(header));
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    for (let written = 0; written < bytes; written += 1024 * 1024) await handle.write(member);
  } finally {
    await handle.close();
  }
};
