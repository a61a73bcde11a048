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
