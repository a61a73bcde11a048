import { statfs } from "node:fs/promises";
import { dirname } from "node:path";

/** Bytes available to this process on the filesystem holding `path` (or its nearest existing parent). */
export const freeBytes = async (path: string): Promise<number> => {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      const info = await statfs(dir);
      return info.bavail * info.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dir === dirname(dir)) throw error;
    }
  }
};
