import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runBackups } from "../../src/commands/backups.js";
import { runRestore } from "../../src/commands/restore.js";
import { runVerify } from "../../src/commands/verify.js";
import { postgresRunAs } from "../../src/pg/os-user.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { waitArchived } from "../wal/support.js";
import { amcheck, fingerprint, pgbench, restoredServer, startBackupFixture, type BackupFixture } from "./support.js";

// The main promise: a backup taken while pgbench writes restores, starts, passes pg_amcheck and
// holds exactly the source's data at the recovery target (end of the archived WAL).

let fixture: BackupFixture;
let restoredDir = "";
let tablespaceMap: string[] = [];
let restoredSets: string[] = [];
/** Directories this file made (the restored cluster's is reused by the delta test): removed at the end. */
const madeDirs: string[] = [];

beforeAll(async () => {
  fixture = await startBackupFixture();
  const tablespace = await makeTempDir("tblspc");
  madeDirs.push(tablespace);
  await fixture.cluster.query(`create tablespace extra location '${tablespace}'`);
  await fixture.cluster.query(
    "create table in_tablespace tablespace extra as select g as id, " +
      "md5(g::text) as payload from generate_series(1, 5000) g",
  );
  await fixture.cluster.query("create unlogged table scratch as select g from generate_series(1, 1000) g");
  await pgbench(fixture.cluster, ["-i", "-s", "3", "-q"]);
});

afterAll(async () => {
  await fixture?.destroy();
  for (const dir of madeDirs) await removeTempDir(dir);
});

describe("zops backup + restore (file repository)", { timeout: 300_000 }, () => {
  it("backs up while pgbench writes, restores, starts, and the data equals the source", async () => {
    const load = pgbench(fixture.cluster, ["-c", "2", "-T", "6", "-n"]).catch((error: unknown) => error);
    const backup = await runBackup(fixture.globals, { type: "full" });
    await load;
    const result = backup.json as {
      database: {
        id: string;
        type: string;
        files: number;
        sizes: { database: number; stored: number };
        walStart: string;
        walStop: string;
      };
    };
    expect(result.database.type).toBe("full");
    expect(result.database.files).toBeGreaterThan(500);
    expect(result.database.sizes.stored).toBeLessThan(result.database.sizes.database);

    // Bundling: thousands of small files become few objects.
    const objects = [];
    for await (const info of fixture.storage.list(`backups/${result.database.id}/data/`)) objects.push(info.key);
    expect(objects.length).toBeLessThan(result.database.files / 10);

    await fixture.cluster.query("checkpoint");
    const expected = await fingerprint((sql) => fixture.cluster.query(sql));
    const tablespaceRows = await fixture.cluster.query<{ n: string }>("select count(*)::text as n from in_tablespace");
    const [switched] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    await waitArchived(fixture.cluster, switched?.name ?? "");

    const listed = await runBackups(fixture.globals);
    expect((listed.json as { backups: { id: string }[] }).backups.map((entry) => entry.id)).toEqual([
      result.database.id,
    ]);

    const server = await restoredServer(fixture.cluster, "restore-main");
    try {
      const [space] = await fixture.cluster.query<{ oid: string }>(
        "select oid::text as oid from pg_tablespace where spcname = 'extra'",
      );
      const relocated = await makeTempDir("tblspc-restored");
      madeDirs.push(relocated, dirname(server.dir));
      tablespaceMap = [`${space?.oid}=${relocated}`];
      restoredDir = server.dir;
      restoredSets = server.sets;
      const restored = await runRestore(fixture.globals, {
        to: server.dir,
        start: true,
        set: server.sets,
        tablespaceMap,
      });
      const recovery = (restored.json as { recovery: { state: string } }).recovery;
      expect(recovery.state).toBe("promoted");
      expect(await fingerprint((sql) => server.query(sql))).toBe(expected);
      expect(await server.query("select count(*)::text as n from in_tablespace")).toEqual(tablespaceRows);
      const check = await amcheck(fixture.cluster, server);
      expect(check.failed, check.stdout + check.stderr).toBe(false);
      const info = await stat(server.dir);
      expect(info.mode & 0o777).toBe(0o700);
      const owner = await postgresRunAs();
      if (owner) expect(info.uid).toBe(owner.uid);
      await expect(stat(join(server.dir, "pg_tblspc"))).resolves.toBeDefined();
    } finally {
      await server.stop({ keep: true });
    }

    const verified = await runVerify(fixture.globals);
    expect((verified.json as { ok: boolean }).ok).toBe(true);
  });

  it("refuses a non-empty target without --delta", async () => {
    const dir = await makeTempDir("nonempty");
    const unused = await makeTempDir("tblspc-unused");
    madeDirs.push(dir, unused);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "precious"), "keep me");
    const [space] = await fixture.cluster.query<{ oid: string }>(
      "select oid::text as oid from pg_tablespace where spcname = 'extra'",
    );
    const error = await runRestore(fixture.globals, {
      to: dir,
      tablespaceMap: [`${space?.oid}=${unused}`],
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "PRECONDITION" });
    expect(String((error as Error).message)).toContain(`restore target '${dir}' is not empty`);
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(dir, "precious"), "utf8")).toBe("keep me");
  });

  it("--delta rewrites only the files whose checksum differs and removes the others", async () => {
    const { readdir, writeFile, readFile } = await import("node:fs/promises");
    const manifest = (await runBackups(fixture.globals)).json as { backups: { id: string }[] };
    const id = manifest.backups[0]?.id ?? "";
    const [accounts] = await fixture.cluster.query<{ path: string }>(
      "select pg_relation_filepath('pgbench_accounts') as path",
    );
    const target = join(restoredDir, accounts?.path ?? "");
    const original = await readFile(target);
    const damaged = Buffer.from(original);
    damaged[100] = (damaged[100] ?? 0) ^ 0xff;
    await writeFile(target, damaged);
    await writeFile(join(restoredDir, "stray-file"), "not from the backup");
    const result = await runRestore(fixture.globals, {
      to: restoredDir,
      backup: id,
      delta: true,
      tablespaceMap,
      set: restoredSets,
    });
    const files = (result.json as { files: { written: number; unchanged: number; removed: number } }).files;
    // The restored cluster ran since: its own changes are rewritten too, but most files are already right.
    expect(files.written).toBeGreaterThanOrEqual(1);
    expect(files.unchanged).toBeGreaterThan(files.written * 3);
    expect(files.removed).toBeGreaterThanOrEqual(1);
    expect((await readdir(restoredDir)).includes("stray-file")).toBe(false);
    const rewritten = await readFile(target);
    expect(rewritten[100]).not.toBe(damaged[100]);
  });
});
