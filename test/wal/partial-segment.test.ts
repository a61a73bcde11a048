import { resultStatus } from "../../src/commands/exits.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackup, meta as backupMeta } from "../../src/commands/backup.js";
import { runCheck } from "../../src/commands/check.js";
import { listAll } from "../../src/storage/read.js";
import { findWalObject } from "../../src/wal/catalog.js";
import { fetchWalFile } from "../../src/wal/fetch-file.js";
import { isUnfinishedCopy, readSegmentContent } from "../../src/wal/segment-content.js";
import { startBackupFixture, type BackupFixture } from "../backup/support.js";
import { runZops, waitArchived } from "./support.js";

type CheckJson = { probes: { name: string; status: string; message: string }[] };

// Issue 14 item 1, the hand test of archive_command against a real cluster: `zops wal-push` of the segment PostgreSQL
// is still writing is refused; forced, the unfinished copy is not counted by `zops check`, PostgreSQL's own call for
// the finished segment names the cause, and `--replace-partial` unwedges archiving. On main at ff52c7c the first
// push exits 0 and stores the unfinished copy, check says wal-chain OK, and the conflict blames another cluster.
describe("wal-push: a segment PostgreSQL has not finished", () => {
  let fixture: BackupFixture;
  const push = (args: string[]) =>
    runZops(["--config", fixture.config.path, "wal-push", ...args], { cwd: fixture.cluster.dataDir });
  const walChain = async () => {
    const result = await runCheck(
      { config: fixture.config.path, json: false, verbose: false },
      { format: "json", only: "wal-chain" },
    );
    return (result.json as CheckJson).probes.find((probe) => probe.name === "wal-chain");
  };

  beforeAll(async () => {
    fixture = await startBackupFixture();
    await fixture.cluster.query("create table t (id int); insert into t select generate_series(1, 1000)");
    const backup = await runBackup(fixture.globals, { type: "full" });
    expect(resultStatus(backupMeta.exits, backup)).toBe(0);
  });
  afterAll(async () => {
    await fixture?.destroy();
  });

  it("refuses without .ready, stores with --force, check does not count it, --replace-partial unwedges", async () => {
    await fixture.cluster.query("insert into t select generate_series(1, 5000)");
    const [row] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_current_wal_lsn()) as name");
    const current = row?.name ?? "";
    const path = join("pg_wal", current);

    const refused = await push([path]);
    expect(refused.exitCode, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/PRECONDITION\]: WAL file 'pg_wal\/\w{24}' is not marked ready by PostgreSQL/);
    expect(refused.stderr).toMatch(/HINT: .*pg_switch_wal\(\).*--force/);
    expect(await findWalObject(fixture.storage, current)).toBeUndefined();

    const forced = await push(["--force", path]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    const partial = await fetchWalFile(fixture.storage, current, { checkEnd: false });
    expect(readSegmentContent(partial.data, current)).toMatchObject({ isSegment: true, complete: false });
    expect(await walChain()).toMatchObject({
      status: "critical",
      message: expect.stringContaining(`first ${current}`),
    });

    // PostgreSQL finishes the segment: its own archive_command now conflicts, naming the cause and the fix.
    await fixture.cluster.query("insert into t select generate_series(1, 10)");
    await fixture.cluster.query("select pg_switch_wal()");
    const finished = await readFile(join(fixture.cluster.dataDir, path));
    expect(readSegmentContent(finished, current).complete).toBe(true);
    expect(isUnfinishedCopy(partial.data, finished, current)).toBe(true);
    const conflict = await push([path]);
    expect(conflict.exitCode).toBe(6);
    expect(conflict.stderr).toMatch(/STORAGE_CONFLICT\]: WAL segment \w{24} .* is an unfinished copy of this cluster/);
    expect(conflict.stderr).toContain(`zops wal-push --replace-partial ${path}`);
    expect(conflict.stderr).not.toMatch(/another cluster/);

    const replaced = await push(["--replace-partial", path]);
    expect(replaced.exitCode, replaced.stderr).toBe(0);
    expect(replaced.stderr).toMatch(/kept at replaced\//);
    const stored = await fetchWalFile(fixture.storage, current, { checkEnd: false });
    expect(stored.data.equals(finished)).toBe(true);
    const aside = await listAll(fixture.storage, "replaced/");
    expect(aside).toEqual([expect.stringContaining(partial.object.key)]);

    // Archiving proceeds on its own, and the chain counts the finished segment.
    await fixture.cluster.query("insert into t select generate_series(1, 10)");
    const [next] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    await waitArchived(fixture.cluster, next?.name ?? "");
    expect(await walChain()).toMatchObject({ status: "ok" });

    // Once replaced, the same call is plain idempotent success.
    const again = await push(["--replace-partial", path]);
    expect(again.exitCode, again.stderr).toBe(0); // identical content: nothing to replace
  });
});
