import { z } from "zod";

/** `wal:` — WAL archiving (wal-push) and fetching (wal-fetch). */
export const walSchema = z
  .strictObject({
    /** Other `.ready` segments wal-push uploads in parallel with the one asked for (0 disables push-ahead). */
    pushAhead: z.int().min(0).max(64).prefault(8),
    /** Segments wal-fetch downloads ahead of the one asked for (0 disables prefetch). */
    prefetch: z.int().min(0).max(64).prefault(8),
    /** zstd level for WAL segments. */
    compressLevel: z.int().min(1).max(19).prefault(3),
    /** Where wal-push records what it pushed ahead; default: `<dataDir>/pg_wal/zops-spool`. */
    spoolDir: z.string().startsWith("/", "an absolute path").optional(),
  })
  .prefault({});
