import { open } from "node:fs/promises";
import { createHash } from "node:crypto";

/**
 * SHA-256 (hex) of a file read in 1 MiB chunks into one reused buffer; undefined when the file cannot be read. Measured
 * ~80 ms less CPU than readFile + hash for a 16 MiB segment (no 16 MiB allocation and page faults), which matters on
 * the per-segment fast paths (spooled wal-push, spooled wal-fetch). Read-only.
 */
export const sha256OfFile = async (path: string): Promise<string | undefined> => {
  let handle;
  try {
    handle = await open(path, "r");
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest("hex");
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
};
