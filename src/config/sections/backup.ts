import { z } from "zod";

/** `backup:` — base backups of the database and their retention. */
export const backupSchema = z
  .strictObject({
    /** Worker threads that read, hash and compress (backup) or decompress, check and write (restore, verify). */
    processes: z.int().min(1).max(64).prefault(2),
    compressLevel: z.int().min(1).max(19).prefault(3),
    /** Ask PostgreSQL for an immediate checkpoint at backup start (false: spread checkpoint, gentler, slower). */
    fastCheckpoint: z.boolean().prefault(true),
    /** Seconds to wait, after pg_backup_stop(), for the WAL the backup needs to reach the repository. */
    archiveTimeoutSeconds: z.int().min(1).prefault(120),
    /**
     * Lock file allowing one backup (or expire) at a time; default `<parent of postgres.dataDir>/.zops-backup.lock`.
     */
    lockFile: z.string().startsWith("/", "an absolute path").optional(),
    retention: z
      .strictObject({
        /** Full backups to keep; incrementals live and die with their full. */
        full: z.int().min(1).prefault(2),
      })
      .prefault({}),
  })
  .prefault({});
