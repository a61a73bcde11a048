import { execa } from "execa";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runBackups } from "../../src/commands/backups.js";
import { runCheck } from "../../src/commands/check.js";
import { runExpire } from "../../src/commands/expire.js";
import { runRestore } from "../../src/commands/restore.js";
import { runVerify } from "../../src/commands/verify.js";
import { repositoryBackupCatalog } from "../../src/deploy/backup-freshness.js";
import { gatherReportInputs } from "../../src/report/gather.js";
import { chooseRestore } from "../../src/restore/choose-restore.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { listAll } from "../../src/storage/read.js";
import { corruptManifest, deleteOwnObject } from "../fixtures/damage-repository.js";
import { pgbench, restoredServer, startBackupFixture, type BackupFixture } from "./support.js";

// Issue 11 items 2 and 3 on one cluster: retention keeps a restorable chain when the newest is broken, and one damaged
// manifest blocks no other command.

let fixture: BackupFixture;
let repoDir: string;
let retentionOne: { config: string; json: boolean; verbose: boolean };
const ids: Record<string, string> = {};

type BackupJson = { database: { id: string; type: string; parent: string | null; note?: string } };
const backup = async (type: "full" | "incr") =>
  ((await runBackup(fixture.globals, { type })).json as BackupJson).database;
type Listed = { backups: { id: string; restorable: boolean; problem?: string }[]; damaged: { id: string }[] };
const listed = async () => (await runBackups(fixture.globals)).json as Listed;

beforeAll(async () => {
  fixture = await startBackupFixture();
  repoDir = fileURLToPath(fixture.config.config.repository.url);
  await pgbench(fixture.cluster, ["-i", "-s", "1", "-q"]);
  await fixture.cluster.query("create table notes (id int primary key, body text)");
  await fixture.cluster.query("checkpoint");
  const config = fixture.config.config;
  const path = join(repoDir, "..", "retention-1.yml");
  await writeFile(
    path,
    stringify({ repository: config.repository, postgres: config.postgres, backup: { retention: { full: 1 } } }),
  );
  retentionOne = { ...fixture.globals, config: path };
});

afterAll(async () => {
  await fixture?.destroy();
});

describe("a damaged repository", { timeout: 300_000 }, () => {
  it("expire (retention.full 1) keeps the older restorable chain when the newest is broken and names it", async () => {
    await fixture.cluster.query("insert into notes values (1, 'in A')");
    ids.a = (await backup("full")).id;
    await fixture.cluster.query("insert into notes values (2, 'in B')");
    ids.b = (await backup("full")).id;
    ids.bMissing = await deleteOwnObject(repoDir, fixture.storage, ids.b);
    // Backup C fails: killed right after its first data object, so it leaves objects and no manifest.
    const [file, ...prefix] = zopsCommand();
    const killed = await execa(
      file as string,
      [...prefix, "--config", fixture.config.path, "backup", "--type", "full"],
      {
        reject: false,
        env: { ZOPS_QUIET: "1", ZOPS_TEST_CRASH_AT: "backup.object-stored" },
      },
    );
    expect(killed.signal).toBe("SIGKILL");

    const result = (await runExpire(retentionOne, {})).json as {
      kept: string[];
      restorableChains: string[];
      brokenKept: { chain: string; reason: string }[];
      expiredBackups: string[];
      leftovers: string[];
    };
    expect(result.kept).toEqual([ids.a, ids.b]);
    expect(result.restorableChains).toEqual([ids.a]);
    expect(result.expiredBackups).toEqual([]);
    expect(result.leftovers).toHaveLength(1);
    expect(result.brokenKept).toHaveLength(1);
    expect(result.brokenKept[0]?.chain).toBe(ids.b);
    expect(result.brokenKept[0]?.reason).toContain(ids.bMissing);
    expect((await listAll(fixture.storage, `backups/${ids.a}/`)).length).toBeGreaterThan(1);

    // `backups` marks B, and restore of latest takes A, saying it skipped B; A starts and has its data.
    const list = await listed();
    expect(list.backups.map((entry) => [entry.id, entry.restorable])).toEqual([
      [ids.a, true],
      [ids.b, false],
    ]);
    const server = await restoredServer(fixture.cluster, "restore-a");
    try {
      const restored = (
        await runRestore(fixture.globals, { to: server.dir, start: true, set: server.sets, targetImmediate: true })
      ).json as { backup: string; skipped: { id: string; reason: string }[] };
      expect(restored.backup).toBe(ids.a);
      expect(restored.skipped.map((entry) => entry.id)).toEqual([ids.b]);
      expect(await server.query("select id from notes order by id")).toEqual([{ id: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it("the upgrade's backup gate, the report, restore plans and drills see restorable backups only", async () => {
    // The upgrade's freshness gate: the newest restorable backup (A), never broken B.
    expect((await repositoryBackupCatalog(fixture.config.config).latestBackup())?.id).toBe(ids.a);
    // The report builds its window from A and names B as unrestorable instead of counting it.
    const inputs = await gatherReportInputs(fixture.storage, fixture.config.config);
    expect(inputs.backups.map((entry) => entry.id)).toEqual([ids.a]);
    expect(inputs.unrestorable?.map((entry) => entry.id)).toEqual([ids.b]);
    // "latest" is no explicit choice: the skipped backup is named, as without --backup; the plan says so too.
    const latest = await chooseRestore(fixture.storage, { action: "promote" }, { database: true, backup: "latest" });
    expect(latest.manifest?.id).toBe(ids.a);
    expect(latest.skipped?.map((entry) => entry.id)).toEqual([ids.b]);
    const plan = await runRestore(fixture.globals, { to: join(repoDir, "..", "plan-target"), plan: true });
    expect(plan.text).toContain(`skipped newer unrestorable backups: ${ids.b}`);
    // One damaged restore-point record blocks no restore that does not use it; naming it says it is damaged.
    await mkdir(join(repoDir, "marks"), { recursive: true });
    await writeFile(join(repoDir, "marks", "broken.json"), "{ not json");
    const planned = await runRestore(fixture.globals, { to: join(repoDir, "..", "plan-target"), plan: true });
    expect(planned.text).toContain(`backup ${ids.a}`);
    await expect(
      chooseRestore(fixture.storage, { action: "promote", name: "broken" }, { database: true }),
    ).rejects.toMatchObject({ code: "VERIFY_FAILED" });
  });

  it("a damaged manifest: backups, verify, check, expire name it; the next incr takes a valid parent", async () => {
    // An incremental on the broken newest full would reference its missing object: it builds on A instead.
    const first = await backup("incr");
    expect(first.type).toBe("incr");
    expect(first.parent).toBe(ids.a);
    expect(first.note).toContain(ids.b);
    ids.d = first.id;
    const damagedKey = await corruptManifest(repoDir, ids.d);

    const list = await listed();
    expect(list.damaged.map((entry) => entry.id)).toEqual([ids.d]);
    expect(list.backups.map((entry) => entry.id)).toEqual([ids.a, ids.b]);

    const verifyError = await runVerify(fixture.globals).catch((error: unknown) => error);
    expect(verifyError).toMatchObject({ code: "VERIFY_FAILED" });
    expect(String((verifyError as Error).message)).toContain(`unable to read manifest '${damagedKey}'`);
    expect(String((verifyError as Error).message)).toContain(ids.bMissing);

    const check = (await runCheck(fixture.globals, { only: "backup-age" })).json as {
      probes: { name: string; status: string; message: string }[];
    };
    const probe = check.probes.find((entry) => entry.name === "backup-age");
    expect(probe?.status).toBe("warning");
    expect(probe?.message).toContain(ids.d);

    // The nightly job goes on: a new incremental on the newest restorable backup (A), never on the damaged one.
    const next = await backup("incr");
    expect(next.type).toBe("incr");
    expect(next.parent).toBe(ids.a);
    expect(next.note).toContain(ids.d);

    const expired = (await runExpire(retentionOne, { dryRun: true })).json as {
      kept: string[];
      brokenKept: { chain: string; backups: string[] }[];
    };
    expect(expired.kept).toEqual([ids.a, ids.b, ids.d, next.id]);
    expect(expired.brokenKept.flatMap((entry) => entry.backups).sort()).toEqual([ids.b, ids.d]);
  });
});
