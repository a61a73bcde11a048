import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock, withLock } from "../../src/lock/lock-file.js";

const tempLockPath = async () => join(await mkdtemp(join(tmpdir(), "zops-lock-")), "upgrade.lock");

describe("lock file", () => {
  it("records pid, host and start time, and refuses a second holder naming the first", async () => {
    const path = await tempLockPath();
    const lock = await acquireLock(path, "upgrade v2");
    const recorded = JSON.parse(await readFile(path, "utf8"));
    expect(recorded).toMatchObject({ pid: process.pid, host: hostname(), command: "upgrade v2" });
    expect(Date.parse(recorded.startedAt)).not.toBeNaN();
    await expect(acquireLock(path, "upgrade v3")).rejects.toMatchObject({
      code: "LOCK_HELD",
      message: expect.stringContaining(`'upgrade v2' (pid ${process.pid}`),
    });
    await lock.release();
    const again = await acquireLock(path, "upgrade v3");
    await again.release();
  });

  it("takes over a stale lock of a dead process and says so", async () => {
    const path = await tempLockPath();
    await writeFile(
      path,
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), startedAt: "2026-01-01T00:00:00Z", command: "backup" }),
    );
    const lock = await acquireLock(path, "backup");
    expect(lock.recoveredFrom).toMatchObject({ command: "backup", startedAt: "2026-01-01T00:00:00Z" });
    await lock.release();
  });

  it("does not take a lock held on another host", async () => {
    const path = await tempLockPath();
    await writeFile(
      path,
      JSON.stringify({ pid: 1, host: "other-host", startedAt: "2026-01-01T00:00:00Z", command: "upgrade" }),
    );
    await expect(acquireLock(path, "upgrade")).rejects.toMatchObject({
      code: "LOCK_HELD",
      hint: expect.stringContaining("another host"),
    });
  });

  it("releases the lock even when the work fails", async () => {
    const path = await tempLockPath();
    await expect(withLock(path, "x", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await withLock(path, "y", async (lock) => expect(lock.holder.command).toBe("y"));
  });
});
