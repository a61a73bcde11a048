import { z } from "zod";

const argv = z.array(z.string().min(1)).min(1, "a non-empty argv list, e.g. [systemctl, stop, app]");

/** `deploy:` — where and how `zops upgrade` installs releases (docs/release-format.md). */
export const deploySchema = z
  .strictObject({
    /** Holds `deployments/`, the `current`/`last`/`next` links, `shared/` directories and `.zops/` state. */
    root: z.string().startsWith("/", "an absolute path").prefault("/home/zulip"),
    /** Deployments to keep besides current, last and next. */
    keep: z.int().min(1).prefault(5),
    /** Directory config files are installed under (a release's destinations are relative to it). */
    configDir: z.string().startsWith("/", "an absolute path").prefault("/etc/zulip"),
    /** Extra `{{name}}` variables for config templates and hooks (e.g. port: "8080"). */
    vars: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "a variable name (letters, digits, _)"),
        z.union([z.string(), z.number()]).transform(String),
      )
      .prefault({}),
    /** Lock file (default `<root>/.zops/upgrade.lock`). */
    lockPath: z.string().startsWith("/", "an absolute path").optional(),
    /** Upgrade log, appended by every upgrade/rollback run (default `<root>/.zops/upgrade.log`). */
    logPath: z.string().startsWith("/", "an absolute path").optional(),
    /** Free space to keep on the deployments filesystem beyond what the upgrade needs. */
    diskMarginMb: z.int().min(0).prefault(256),
    /** Limits on an (untrusted) release tarball. */
    tarball: z
      .strictObject({
        maxUnpackedMb: z.int().min(1).prefault(4096),
        maxFiles: z.int().min(1).prefault(200_000),
      })
      .prefault({}),
    /** Service control; each command overrides the release manifest's hook of the same name. */
    service: z
      .strictObject({
        stop: argv.optional(),
        start: argv.optional(),
        timeoutSeconds: z.int().min(1).prefault(120),
      })
      .prefault({}),
    /** Health gate after start; `url` and `command` override the release manifest's. */
    health: z
      .strictObject({
        url: z.url().optional(),
        command: argv.optional(),
        deadlineSeconds: z.number().positive().prefault(60),
        intervalMs: z.int().min(10).prefault(250),
      })
      .prefault({}),
    /** The application's database (migrations): the `postgres:` connection with its own name. */
    database: z
      .strictObject({
        name: z.string().min(1).optional(),
        host: z.string().min(1).optional(),
        port: z.int().min(1).max(65535).optional(),
        user: z.string().min(1).optional(),
        migrationsTable: z.string().min(1).prefault("pgmigrations"),
      })
      .prefault({}),
    /** Whether an upgrade wants a recent backup first: off, warn, or require (blocks). */
    backup: z
      .strictObject({
        policy: z.enum(["off", "warn", "require"]).prefault("warn"),
        maxAgeHours: z.number().positive().prefault(26),
      })
      .prefault({}),
  })
  .prefault({});
