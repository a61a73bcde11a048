import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findServerBinDir } from "../../src/pg/bin-dir.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

// The server binaries for a backup's major (issue 10: a 17 backup was drilled with 15's binaries). Stand-in binary
// directories: a `pg_ctl` and a `postgres` that answers --version as the given major. 99 is a major no machine has.

let root = "";

const fakeBinDir = async (name: string, major: number, withPgCtl = true): Promise<string> => {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "postgres"), `#!/bin/sh\necho "postgres (PostgreSQL) ${major}.1"\n`);
  await chmod(join(dir, "postgres"), 0o755);
  if (withPgCtl) {
    await writeFile(join(dir, "pg_ctl"), "#!/bin/sh\nexit 0\n");
    await chmod(join(dir, "pg_ctl"), 0o755);
  }
  return dir;
};

beforeAll(async () => {
  root = await makeTempDir("bin-dir", { forPostgres: false });
});

afterAll(async () => {
  await removeTempDir(root);
});

describe("findServerBinDir: the server binaries of the backup's major", () => {
  it("takes postgres.binDirs.<major> over postgres.binDir", async () => {
    const of99 = await fakeBinDir("binDirs-99", 99);
    const of15 = await fakeBinDir("binDir-15", 15);
    expect(await findServerBinDir({ binDir: of15, binDirs: { "99": of99 } }, 99)).toBe(of99);
  });

  it("takes postgres.binDir only when its postgres is that major", async () => {
    const of99 = await fakeBinDir("binDir-99", 99);
    expect(await findServerBinDir({ binDir: of99 }, 99)).toBe(of99);
  });

  it("refuses naming the major and the key to set, instead of running another major's binaries", async () => {
    const of15 = await fakeBinDir("other-15", 15);
    const error = await findServerBinDir({ binDir: of15 }, 99).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "PRECONDITION" });
    expect(String((error as Error).message)).toMatch(/PostgreSQL 99/);
    expect(String((error as Error).message)).toContain(`${of15} (PostgreSQL 15)`);
    expect(String((error as Error).message)).toContain("/usr/lib/postgresql/99/bin");
    expect((error as { hint?: string }).hint).toContain("postgres.binDirs.99");
  });

  it("refuses a postgres.binDirs entry without pg_ctl, naming it", async () => {
    const broken = await fakeBinDir("no-pg-ctl", 99, false);
    const error = await findServerBinDir({ binDirs: { "99": broken } }, 99).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect(String((error as Error).message)).toContain(`postgres.binDirs.99 '${broken}'`);
  });

  it("falls back to /usr/lib/postgresql/<major>/bin", async () => {
    expect(await findServerBinDir({}, 15)).toBe("/usr/lib/postgresql/15/bin");
  });
});
