import { access, readdir } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";

const isExecutable = (path: string): Promise<boolean> =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * Finds the PostgreSQL server binaries: postgres.binDir, else `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/<major>/bin. Throws POSTGRES naming what was tried.
 */
export const findPgBinDir = async (configured?: string): Promise<string> => {
  const tried: string[] = [];
  if (configured) {
    if (await isExecutable(join(configured, "pg_ctl"))) return configured;
    throw new ZopsError("CONFIG_INVALID", `postgres.binDir '${configured}' has no executable pg_ctl`, {
      hint:
        "set postgres.binDir to the directory holding initdb, pg_ctl " +
        "and pg_amcheck (e.g. /usr/lib/postgresql/15/bin)",
    });
  }
  const { run } = await import("../exec/run.js");
  const fromPgConfig = await run("pg_config", ["--bindir"], { reject: false }).catch(() => undefined);
  if (fromPgConfig && !fromPgConfig.failed) {
    const dir = fromPgConfig.stdout.trim();
    tried.push(dir);
    if (await isExecutable(join(dir, "pg_ctl"))) return dir;
  }
  const versions = await readdir("/usr/lib/postgresql").catch(() => [] as string[]);
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const dir = join("/usr/lib/postgresql", version, "bin");
    tried.push(dir);
    if (await isExecutable(join(dir, "pg_ctl"))) return dir;
  }
  throw new ZopsError(
    "POSTGRES",
    `PostgreSQL server binaries not found (tried ${tried.join(", ") || "pg_config and /usr/lib/postgresql/*/bin"})`,
    {
      hint: "install PostgreSQL (apt-get install postgresql-15) or set postgres.binDir",
    },
  );
};

/** The major version of the server binaries in `binDir` (`postgres --version`), or undefined when unreadable. */
export const binDirMajor = async (binDir: string): Promise<number | undefined> => {
  const { run } = await import("../exec/run.js");
  const result = await run(join(binDir, "postgres"), ["--version"], { reject: false }).catch(() => undefined);
  const major = /\(PostgreSQL\) (\d+)/.exec(result?.stdout ?? "")?.[1];
  return major ? Number(major) : undefined;
};

/**
 * Finds the server binaries (initdb, pg_ctl, postgres) of PostgreSQL `major`, the major a backup was taken with:
 * `postgres.binDirs[major]`, else `postgres.binDir` when it is that major, else `/usr/lib/postgresql/<major>/bin`.
 * Read-only.
 * @throws CONFIG_INVALID when postgres.binDirs names a directory without pg_ctl.
 * @throws PRECONDITION naming the major and the key to set when none is found.
 */
export const findServerBinDir = async (
  postgres: { binDir?: string; binDirs?: Readonly<Record<string, string>> },
  major: number,
): Promise<string> => {
  const tried: string[] = [];
  const configured = postgres.binDirs?.[String(major)];
  if (configured) {
    if (await isExecutable(join(configured, "pg_ctl"))) return configured;
    throw new ZopsError("CONFIG_INVALID", `postgres.binDirs.${major} '${configured}' has no executable pg_ctl`, {
      hint: `set postgres.binDirs.${major} to the directory holding PostgreSQL ${major}'s initdb, pg_ctl and postgres`,
    });
  }
  if (postgres.binDir) {
    const found = await binDirMajor(postgres.binDir);
    if (found === major) return postgres.binDir;
    tried.push(`postgres.binDir ${postgres.binDir} (PostgreSQL ${found ?? "?"})`);
  }
  const standard = join("/usr/lib/postgresql", String(major), "bin");
  tried.push(standard);
  if (await isExecutable(join(standard, "pg_ctl"))) return standard;
  throw new ZopsError(
    "PRECONDITION",
    `the backup was taken with PostgreSQL ${major}, and its server binaries were not found (tried ${tried.join(", ")})`,
    {
      hint:
        `install PostgreSQL ${major} (apt-get install postgresql-${major}) or set postgres.binDirs.${major} ` +
        "to the directory holding its initdb, pg_ctl and postgres",
    },
  );
};
