import { z } from "zod";

/** `wal:` — WAL archiving (wal-push) and fetching (wal-fetch). */
export const walSchema = z
  .strictObject({
    /** Other `.ready` WAL files one wal-push call also archives (0 disables push-ahead). */
    pushAhead: z.int().min(0).max(64).prefault(8),
    /**
     * After pushing a file ahead, rename its `.ready` to `.done` (what WAL-E always did and WAL-G's
     * PG_READY_RENAME does) so PostgreSQL never starts a process for it. Faster; pg_stat_archiver then counts
     * only the files PostgreSQL handed over itself. Off: PostgreSQL's own calls return from the spool.
     */
    markDone: z.boolean().prefault(false),
    /** Uploads one wal-push call runs at the same time (the asked-for file plus push-ahead). */
    pushConcurrency: z.int().min(1).max(32).prefault(4),
    /** Segments wal-fetch downloads ahead of the one asked for (0 disables prefetch). */
    prefetch: z.int().min(0).max(64).prefault(8),
    /** Downloads one wal-fetch call runs at the same time. */
    fetchConcurrency: z.int().min(1).max(32).prefault(4),
    /** zstd level for WAL files. */
    compressLevel: z.int().min(1).max(19).prefault(3),
    /** How long wal-push trusts its cached "repository belongs to this cluster" check before re-reading cluster.json. */
    identityCheckMinutes: z.number().min(0).max(1440).prefault(60),
    /** Where wal-push records what it pushed ahead; default: `<dataDir>/pg_wal/zops-spool`. wal-fetch always prefetches into `<dataDir being restored>/pg_wal/zops-spool/fetch`. */
    spoolDir: z.string().startsWith("/", "an absolute path").optional(),
  })
  .prefault({});
