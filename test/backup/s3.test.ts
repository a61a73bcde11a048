import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runRestore } from "../../src/commands/restore.js";
import { runVerify } from "../../src/commands/verify.js";
import { writeMarker } from "../../src/repo/repository.js";
import { openStorage } from "../../src/storage/open.js";
import { findWalObject } from "../../src/wal/catalog.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { generateSegments, waitArchived } from "../wal/support.js";
import { restoredServer, startBackupFixture, type BackupFixture } from "./support.js";

// The same backup and restore against an S3 repository (s3rver), plus the WAL-chain checks:
// a missing segment is named by verify, and a restore whose replay stops at it fails.

let s3: TestS3Server;
let fixture: BackupFixture;

beforeAll(async () => {
  s3 = await startS3Server();
  const storage = await openStorage({
    repository: s3.repositoryConfig,
    storage: { timeoutSeconds: 10, retries: 1, retryDelayMs: 100 },
  });
  await writeMarker(storage);
  fixture = await startBackupFixture({ repository: s3.repositoryConfig, env: { ...s3.env } });
  await fixture.cluster.query(
    "create table items as select g as id, md5(g::text) as body from generate_series(1, 20000) g",
  );
});

afterAll(async () => {
  await fixture?.destroy();
  await s3?.destroy();
});

describe("S3 repository", { timeout: 300_000 }, () => {
  it("backs up, verifies and restores to the end of the archived WAL", async () => {
    const backup = (await runBackup(fixture.globals, { type: "full" })).json as { database: { id: string } };
    await fixture.cluster.query("insert into items values (-1, 'after the backup')");
    const [row] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    await waitArchived(fixture.cluster, row?.name ?? "");
    expect(((await runVerify(fixture.globals, backup.database.id)).json as { ok: boolean }).ok).toBe(true);

    const server = await restoredServer(fixture.cluster, "restore-s3");
    try {
      const restored = await runRestore(fixture.globals, { to: server.dir, start: true, set: server.sets });
      expect((restored.json as { recovery: { state: string } }).recovery.state).toBe("promoted");
      expect(
        await server.query("select count(*)::int as n, max(body) filter (where id = -1) as last from items"),
      ).toEqual([{ n: 20001, last: "after the backup" }]);
    } finally {
      await server.stop();
    }
  });

  it("names a missing WAL segment in verify and fails a restore whose replay stops at it", async () => {
    const names = await generateSegments(fixture.cluster, 3);
    await waitArchived(fixture.cluster, names[names.length - 1] ?? "");
    const missing = names[1] ?? "";
    const object = await findWalObject(fixture.storage, missing);
    expect(object).toBeDefined();
    await fixture.storage.delete([object?.key ?? ""]);

    const verifyError = await runVerify(fixture.globals).catch((error: unknown) => error);
    expect(verifyError).toMatchObject({ code: "VERIFY_FAILED" });
    expect(String((verifyError as Error).message)).toContain(`missing ${missing}`);

    const server = await restoredServer(fixture.cluster, "restore-gap");
    try {
      const error = await runRestore(fixture.globals, { to: server.dir, start: true, set: server.sets }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: "VERIFY_FAILED" });
      // wal-fetch refuses to end recovery at a hole, PostgreSQL stops, and the failure names the segment.
      expect(String((error as Error).message)).toContain(missing);
    } finally {
      await server.stop();
    }
  });
});
