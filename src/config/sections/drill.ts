import { z } from "zod";

/** `drill:` — scheduled restore drills. */
export const drillSchema = z
  .strictObject({
    /** Scratch parent directory for the restored cluster; default: the system temp directory. */
    scratchDir: z.string().startsWith("/", "an absolute path").optional(),
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
