import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of temp files zops leaves only when killed mid-write (cleaned by the spools). */
export const TEMP_PREFIX = ".zops-tmp-";

/**
 * Writes `data` to `path` atomically: temp file in the same directory, optional fsync, rename over. A crash leaves the
 * old file or none, never a partial one.
 */
export const writeFileAtomic = async (
  path: string,
  data: Uint8Array | string,
  options: { sync?: boolean; mode?: number } = {},
): Promise<void> => {
  const temp = join(dirname(path), `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}-${basename(path)}`);
  try {
    const handle = await open(temp, "wx", options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      if (options.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
};
