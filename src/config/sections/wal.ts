import { z } from "zod";

/** `wal:` — WAL archiving (wal-push) and fetching (wal-fetch). */
export const walSchema = z
  .strictObject({
    /**
     * Push-ahead: the background pusher a wal-push starts archives the other `.ready` files in rounds of this many (0
     * disables).
     */
    pushAhead: z.int().min(0).max(64).prefault(8),
    /**
     * After pushing a file ahead, rename its `.ready` to `.done` (what WAL-E always did and WAL-G's
     * PG_READY_RENAME does) so PostgreSQL never starts a process for it. Faster; pg_stat_archiver then counts
     * only the files PostgreSQL handed over itself. Off: PostgreSQL's own calls return from the spool.
     */
    markDone: z.boolean().prefault(false),
    /** Files the background pusher compresses and uploads at the same time. */
    pushConcurrency: z.int().min(1).max(32).prefault(4),
    /** Segments wal-fetch downloads ahead of the one asked for (0 disables prefetch). */
    prefetch: z.int().min(0).max(64).prefault(8),
    /** Downloads one wal-fetch call runs at the same time. */
    fetchConcurrency: z.int().min(1).max(32).prefault(4),
    /**
     * The most one wal-push or wal-fetch call (and each file the background pusher pushes) may take, retries
     * included: PostgreSQL retries the file itself, while `pg_ctl stop` (60 s) and systemd (90 s) wait for the
     * archiver. 30 s leaves room under both and is ample for a 16 MB segment on a working link.
     */
    deadlineSeconds: z.number().min(1).max(3600).prefault(30),
    /** zstd level for WAL files. */
    compressLevel: z.int().min(1).max(19).prefault(3),
    /**
     * How long wal-push trusts its cached "repository belongs to this cluster" check before re-reading cluster.json.
     */
    identityCheckMinutes: z.number().min(0).max(1440).prefault(60),
    /**
     * Where wal-push records what it pushed ahead; default: `<dataDir>/pg_wal/zops-spool`. wal-fetch always prefetches
     * into `<dataDir being restored>/pg_wal/zops-spool/fetch`.
     */
    spoolDir: z.string().startsWith("/", "an absolute path").optional(),
  })
  .prefault({});
