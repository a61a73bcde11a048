import { z } from "zod";

/** `drill:` — scheduled restore drills. */
export const drillSchema = z
  .strictObject({
    /** Scratch parent directory for the restored cluster; default: the system temp directory. */
    scratchDir: z.string().startsWith("/", "an absolute path").optional(),
    /** age identity file used to decrypt the secrets archive during drills (without it, only integrity is checked). */
    identityFile: z.string().startsWith("/", "an absolute path").optional(),
    /** Tables larger than this get a row count only in the fingerprints (a full hash reads the whole table). */
    fingerprintMaxTableMB: z.number().min(0).prefault(1024),
  })
  .prefault({});

/** `check:` — monitoring thresholds used by `zops check`. */
export const checkSchema = z
  .strictObject({
    backupWarnHours: z.number().positive().prefault(26),
    backupCriticalHours: z.number().positive().prefault(50),
    drillWarnDays: z.number().positive().prefault(8),
    drillCriticalDays: z.number().positive().prefault(15),
    archiveWarnMinutes: z.number().positive().prefault(15),
    archiveCriticalMinutes: z.number().positive().prefault(60),
    readyWarn: z.int().min(1).prefault(16),
    readyCritical: z.int().min(1).prefault(64),
  })
  .prefault({});
