import { execa } from "execa";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "../../src/backup/manifest.js";
import { runBackup } from "../../src/commands/backup.js";
import { runBackups } from "../../src/commands/backups.js";
import { runExpire } from "../../src/commands/expire.js";
import { runRestore } from "../../src/commands/restore.js";
import { runVerify } from "../../src/commands/verify.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { listAll } from "../../src/storage/read.js";
import { listWal } from "../../src/wal/catalog.js";
import { switchWal, waitArchived } from "../wal/support.js";
import { fingerprint, pgbench, restoredServer, startBackupFixture, type BackupFixture } from "./support.js";

// Incremental backups, damaged objects, a backup killed halfway, and retention, on one cluster.

let fixture: BackupFixture;
let repoDir: string;
const ids: Record<string, string> = {};

type BackupJson = {
  database: {
    id: string;
    type: string;
    parent: string | null;
    sizes: { copied: number; stored: number; database: number };
  };
};
const backup = async (type: "full" | "incr") =>
  ((await runBackup(fixture.globals, { type })).json as BackupJson).database;
const bytesUnder = async (prefix: string) => {
  let total = 0;
  for await (const info of fixture.storage.list(prefix)) total += info.size;
  return total;
};
const archiveNow = async () => {
  await waitArchived(fixture.cluster, await switchWal(fixture.cluster));
};

beforeAll(async () => {
  fixture = await startBackupFixture();
  repoDir = fileURLToPath(fixture.config.config.repository.url);
  await pgbench(fixture.cluster, ["-i", "-s", "4", "-q"]);
  await fixture.cluster.query("create table notes (id int primary key, body text)");
  await fixture.cluster.query("insert into notes select g, 'note ' || g from generate_series(1, 100) g");
  await fixture.cluster.query("checkpoint");
  // Files written within the 2 s margin before a backup starts are always copied again: let them age.
  await new Promise((resolve) => setTimeout(resolve, 2500));
});

afterAll(async () => {
  await fixture?.destroy();
});

describe("incremental backups, damage, interruption and retention", { timeout: 300_000 }, () => {
  it("an incremental stores only what changed and restores to the source's state", async () => {
    const full = await backup("full");
    ids.full = full.id;
    await fixture.cluster.query("update notes set body = 'changed' where id <= 10");
    await fixture.cluster.query("insert into notes values (1000, 'new')");
    await fixture.cluster.query("checkpoint");
    const incr = await backup("incr");
    ids.incr = incr.id;
    expect(incr.type).toBe("incr");
    expect(incr.parent).toBe(full.id);
    // Only the changed relations (and catalog/control files) are copied; pgbench_accounts is referenced.
    expect(incr.sizes.copied).toBeLessThan(full.sizes.copied / 4);
    const written = await bytesUnder(`backups/${incr.id}/`);
    const fullWritten = await bytesUnder(`backups/${full.id}/`);
    expect(written).toBeLessThan(fullWritten / 4);
    const manifest = await readManifest(fixture.storage, incr.id);
    const [accounts] = await fixture.cluster.query<{ path: string }>(
      "select pg_relation_filepath('pgbench_accounts') as path",
    );
    const accountsFile = manifest.files.find((file) => file.path === accounts?.path);
    expect(accountsFile?.storedIn).toBe(full.id);
    const [notes] = await fixture.cluster.query<{ path: string }>("select pg_relation_filepath('notes') as path");
    expect(manifest.files.find((file) => file.path === notes?.path)?.storedIn).toBe(incr.id);

    await archiveNow();
    const expected = await fingerprint((sql) => fixture.cluster.query(sql));
    const expectedNotes = await fixture.cluster.query("select * from notes order by id");
    const server = await restoredServer(fixture.cluster, "restore-incr");
    try {
      await runRestore(fixture.globals, {
        to: server.dir,
        backup: incr.id,
        start: true,
        set: server.sets,
        targetImmediate: true,
      });
      // At the incremental's own consistency point the data already has every change made before it.
      expect(await server.query("select * from notes order by id")).toEqual(expectedNotes);
      expect(await fingerprint((sql) => server.query(sql))).toBe(expected);
    } finally {
      await server.stop();
    }
  });

  it("one flipped byte in a stored object makes verify and restore fail naming the file", async () => {
    const manifest = await readManifest(fixture.storage, ids.incr as string);
    const victim = manifest.files.find(
      (file) => file.storedIn === manifest.id && file.pieces.length === 1 && file.size > 1000,
    );
    const piece = victim?.pieces[0];
    if (!victim || !piece) throw new Error("no file stored by the incremental");
    const path = join(repoDir, ...piece.object.split("/"));
    const original = await readFile(path);
    const damaged = Buffer.from(original);
    const at = piece.frameOffset + Math.floor(piece.frameLength / 2);
    damaged[at] = (damaged[at] ?? 0) ^ 0x01;
    await writeFile(path, damaged);
    try {
      const verifyError = await runVerify(fixture.globals, manifest.id).catch((error: unknown) => error);
      expect(verifyError).toMatchObject({ code: "VERIFY_FAILED" });
      expect(String((verifyError as Error).message)).toContain(victim.path);
      const server = await restoredServer(fixture.cluster, "restore-damaged");
      const restoreError = await runRestore(fixture.globals, { to: server.dir, backup: manifest.id }).catch(
        (error: unknown) => error,
      );
      expect(restoreError).toMatchObject({ code: "VERIFY_FAILED" });
      expect(String((restoreError as Error).message)).toContain(victim.path);
      // Rolled back: the target did not exist before, so it does not exist after.
      expect(existsSync(server.dir)).toBe(false);
      await server.stop(); // nothing runs there: removes its directory
    } finally {
      await writeFile(path, original);
    }
    expect(((await runVerify(fixture.globals)).json as { ok: boolean }).ok).toBe(true);
  });

  it("a backup killed with SIGKILL halfway is not listed and does not disturb the next one", async () => {
    const before = await listAll(fixture.storage, "backups/");
    const [file, ...prefix] = zopsCommand();
    // The fault hook kills the backup right after its first data object is stored (no race with a polling loop).
    const child = execa(file as string, [...prefix, "--config", fixture.config.path, "backup", "--type", "full"], {
      reject: false,
      env: { ZOPS_QUIET: "1", ZOPS_TEST_CRASH_AT: "backup.object-stored" },
    });
    const result = await child;
    expect(result.signal).toBe("SIGKILL");
    const killedId = (await listAll(fixture.storage, "backups/"))
      .find((key) => !before.includes(key) && key.includes("/data/"))
      ?.split("/")[1];
    expect(killedId).toBeDefined();
    expect(await fixture.storage.stat(`backups/${killedId}/manifest.json`)).toBeUndefined();

    const listed = ((await runBackups(fixture.globals)).json as { backups: { id: string }[] }).backups.map(
      (entry) => entry.id,
    );
    expect(listed).toEqual([ids.full, ids.incr]);

    // A dry run of retention sees the leftovers of the killed run and deletes nothing.
    const dry = (await runExpire(fixture.globals, { dryRun: true })).json as { leftovers: string[] };
    expect(dry.leftovers).toEqual([`backups/${killedId}/`]);
    expect((await listAll(fixture.storage, `backups/${killedId}/`)).length).toBeGreaterThan(0);

    // The next backup (its stale lock taken over) succeeds on the last complete parent, and its expire removes the
    // leftovers.
    const next = await backup("incr");
    expect(next.parent).toBe(ids.incr);
    ids.next = next.id;
    expect(
      ((await runBackups(fixture.globals)).json as { backups: { id: string }[] }).backups.map((entry) => entry.id),
    ).toEqual([ids.full, ids.incr, next.id]);
    expect(await listAll(fixture.storage, `backups/${killedId}/`)).toEqual([]);
  });

  it("expire keeps the newest full chains and the WAL they need, and deletes the rest", async () => {
    const second = await backup("full");
    const config = { ...fixture.config.config, backup: { ...fixture.config.config.backup, retention: { full: 1 } } };
    const path = join(repoDir, "..", "retention-1.yml");
    await writeFile(
      path,
      stringify({ repository: config.repository, postgres: config.postgres, backup: { retention: { full: 1 } } }),
    );
    const globals = { ...fixture.globals, config: path };
    const dry = (await runExpire(globals, { dryRun: true })).json as { expiredBackups: string[]; walFiles: string[] };
    expect(dry.expiredBackups).toEqual([ids.full, ids.incr, ids.next]);
    expect(((await runBackups(globals)).json as { backups: unknown[] }).backups).toHaveLength(4);
    await runExpire(globals, {});
    expect(
      ((await runBackups(globals)).json as { backups: { id: string }[] }).backups.map((entry) => entry.id),
    ).toEqual([second.id]);
    expect(await listAll(fixture.storage, `backups/${ids.full}/`)).toEqual([]);
    const manifest = await readManifest(fixture.storage, second.id);
    const wal = (await listWal(fixture.storage)).filter((object) => object.kind !== "history");
    expect(wal.every((object) => object.name.slice(0, 24) >= manifest.walStart)).toBe(true);
    expect(wal.some((object) => object.name === manifest.walStart)).toBe(true);
    expect(((await runVerify(globals)).json as { ok: boolean }).ok).toBe(true);
  });
});
