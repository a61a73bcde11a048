import { z } from "zod";

/** `backup:` — base backups of the database and their retention. */
export const backupSchema = z
  .strictObject({
    /** Parallel workers for copying and compressing files. */
    processes: z.int().min(1).max(64).prefault(2),
    compressLevel: z.int().min(1).max(19).prefault(3),
    retention: z
      .strictObject({
        /** Full backups to keep; incrementals live and die with their full. */
        full: z.int().min(1).prefault(2),
      })
      .prefault({}),
  })
  .prefault({});
