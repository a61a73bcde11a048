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
    /**
     * Server binaries per PostgreSQL major (`"17": /opt/pg17/bin`), for restores and drills of a backup taken with
     * another major than the installed default; else `/usr/lib/postgresql/<major>/bin`.
     */
    binDirs: z
      .record(z.string().regex(/^\d{2}$/, "a PostgreSQL major such as 17"), z.string().startsWith("/"))
      .optional(),
    /** The OS user PostgreSQL (and so archive_command) runs as: repo init/check set up and test access for it. */
    osUser: z.string().min(1).prefault("postgres"),
  })
  .prefault({});
