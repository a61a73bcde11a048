import { z } from "zod";

/** `postgres:` — the cluster being protected (fixed keys, see DESIGN.md). */
export const postgresSchema = z
  .strictObject({
    dataDir: z.string().startsWith("/", "an absolute path").prefault("/var/lib/postgresql/15/main"),
    host: z.string().min(1).prefault("/var/run/postgresql"),
    port: z.int().min(1).max(65535).prefault(5432),
    user: z.string().min(1).prefault("postgres"),
    database: z.string().min(1).prefault("postgres"),
    binDir: z.string().startsWith("/", "an absolute path").optional(),
    /** The OS user PostgreSQL (and so archive_command) runs as: repo init/check set up and test access for it. */
    osUser: z.string().min(1).prefault("postgres"),
  })
  .prefault({});
