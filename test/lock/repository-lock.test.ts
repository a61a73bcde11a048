import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { processStartTime } from "../../src/exec/process-alive.js";
import { acquireCommandLock } from "../../src/lock/command-lock.js";
import { acquireLock } from "../../src/lock/lock-file.js";
import {
  acquireRepositoryReader,
  acquireRepositoryWriter,
  excludeReaders,
  liveReaders,
} from "../../src/lock/repository-lock.js";

const tempLock = async () => join(await mkdtemp(join(tmpdir(), "zops-repo-lock-")), ".zops-backup.lock");

describe("repository lock", () => {
  it("lets readers run beside a writer, but keeps them out while the writer deletes", async () => {
    const path = await tempLock();
    const writer = await acquireRepositoryWriter(path, "zops backup");
    const reader = await acquireRepositoryReader(path, "zops restore --to /x");
    await expect(excludeReaders(path, "zops backup")).rejects.toMatchObject({
      code: "LOCK_HELD",
      message: expect.stringContaining("'zops restore --to /x' (pid"),
    });
    await reader.release();
    const exclusion = await excludeReaders(path, "zops backup");
    await expect(acquireRepositoryReader(path, "zops verify")).rejects.toMatchObject({
      code: "LOCK_HELD",
      message: expect.stringContaining("deleting expired data"),
    });
    await exclusion.release();
    const later = await acquireRepositoryReader(path, "zops verify");
    await later.release();
    await writer.release();
    expect(await readdir(join(path, ".."))).toEqual([".zops-backup.lock.readers"]);
  });

  it("takes the reader entry of a dead process, or of a reused pid, for stale", async () => {
    const path = await tempLock();
    await acquireRepositoryReader(path, "probe").then((lock) => lock.release());
    const dead = { pid: 2 ** 22 + 4321, host: hostname(), startedAt: "2026-01-01T00:00:00Z", command: "zops drill" };
    const reused = { ...dead, pid: process.pid, processStart: `${processStartTime(process.pid)}1`, command: "old" };
    await writeFile(join(`${path}.readers`, "dead.json"), JSON.stringify(dead));
    await writeFile(join(`${path}.readers`, "reused.json"), JSON.stringify(reused));
    expect(await liveReaders(path)).toEqual([]);
    expect(await readdir(`${path}.readers`)).toEqual([]);
    await (await excludeReaders(path, "zops expire")).release();
  });

  it("never takes a reader on another host for stale", async () => {
    const path = await tempLock();
    await acquireRepositoryReader(path, "probe").then((lock) => lock.release());
    const remote = { pid: 1, host: "other-host", startedAt: "2026-01-01T00:00:00Z", command: "zops verify" };
    await writeFile(join(`${path}.readers`, "remote.json"), JSON.stringify(remote));
    await expect(excludeReaders(path, "zops expire")).rejects.toMatchObject({ code: "LOCK_HELD" });
  });

  it("hands the runner's deploy lock down to the command's own acquire, and frees it once", async () => {
    const path = await tempLock();
    const context = { command: "zops upgrade v2.tgz", repositoryLock: `${path}.repo`, deployLock: path };
    const held = await acquireCommandLock("deploy", context);
    const nested = await acquireLock(path, "zops upgrade v2.tgz");
    expect(nested.holder).toEqual(held.holder);
    await nested.release();
    // Still held: another process's holder record is what a second upgrade would find.
    expect(await readdir(join(path, ".."))).toContain(".zops-backup.lock");
    await held.release();
    expect(await readdir(join(path, ".."))).not.toContain(".zops-backup.lock");
    const again = await acquireLock(path, "zops rollback");
    await expect(acquireLock(path, "zops rollback")).rejects.toMatchObject({ code: "LOCK_HELD" });
    await again.release();
  });
});
