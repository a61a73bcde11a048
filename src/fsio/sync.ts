import { open } from "node:fs/promises";

/**
 * fsyncs a file or directory (with `dataOnly`, fdatasyncs it), opened read-only, which Linux allows for both. Throws
 * the file-system error.
 */
export const syncPath = async (path: string, options: { dataOnly?: boolean } = {}): Promise<void> => {
  const handle = await open(path, "r");
  try {
    await (options.dataOnly ? handle.datasync() : handle.sync());
  } finally {
    await handle.close();
  }
};

/**
 * Flushes a directory's entries (a rename or a new file in it) to disk. Best effort: never throws, for file systems
 * that refuse to open or fsync a directory.
 */
export const syncDirectory = async (dir: string): Promise<void> => {
  const handle = await open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
};
