import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../../src/exec/run.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { postgresRunAs } from "../../src/pg/os-user.js";
import { openStorage } from "../../src/storage/open.js";
import { listAll } from "../../src/storage/read.js";
import { FileStorage } from "../../src/storage/file.js";
import { ResilientStorage } from "../../src/storage/resilient.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { runStorageContract } from "./contract.js";
import { failingStream } from "./contract-data.js";

const settings = { timeoutSeconds: 5, retries: 2, retryDelayMs: 50 };

runStorageContract("file (through openStorage)", async () => {
  const root = await makeTempDir("file-contract", { forPostgres: false });
  return {
    storage: await openStorage({
      repository: { url: pathToFileURL(root).href, s3: { region: "us-east-1", forcePathStyle: false } },
      storage: settings,
    }),
    cleanup: () => removeTempDir(root),
  };
});

describe("file driver failures", () => {
  it("leaves no temp file behind after a failed put", async () => {
    const root = await makeTempDir("file-temp", { forPostgres: false });
    try {
      const storage = new FileStorage(root);
      await expect(storage.put("dir/key", failingStream(3 * 1024 * 1024))).rejects.toThrow(/source failed on purpose/);
      expect(await readdir(join(root, "dir"))).toEqual([]);
    } finally {
      await removeTempDir(root);
    }
  });

  it("removes directories that deletes leave empty, and puts racing with those deletes still succeed", async () => {
    const root = await makeTempDir("file-prune", { forPostgres: false });
    try {
      const storage = new FileStorage(root);
      await storage.put("a/b/c/one", "1");
      await storage.put("a/keep", "k");
      await storage.delete(["a/b/c/one"]);
      expect(await readdir(root)).toEqual(["a"]);
      expect(await readdir(join(root, "a"))).toEqual(["keep"]);
      for (let round = 0; round < 400; round += 1) {
        await Promise.all([storage.put(`race/dir/${round}`, "x"), storage.delete([`race/dir/${round - 1}`])]);
      }
      expect(await listAll(storage, "race/")).toEqual(["race/dir/399"]);
      await storage.delete(["race/dir/399", "a/keep"]);
      expect(await readdir(root)).toEqual([]);
    } finally {
      await removeTempDir(root);
    }
  });

  it("does not retry local storage errors (not network storage)", async () => {
    const root = await makeTempDir("file-noretry", { forPostgres: false });
    try {
      await writeFile(join(root, "blocker"), "a file where a directory is needed");
      const storage = new ResilientStorage(new FileStorage(root), {
        timeoutSeconds: 5,
        retries: 3,
        retryDelayMs: 6000,
      });
      const error = await storage.put("blocker/key", "x").catch((caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe("STORAGE_IO");
      expect((error as Error).message).not.toMatch(/attempts/);
    } finally {
      await removeTempDir(root);
    }
  });

  it("reports permission denied clearly (as the postgres OS user on a root-owned repository when root)", async () => {
    const root = await makeTempDir("file-denied", { forPostgres: false });
    try {
      const repo = join(root, "repo");
      await mkdir(repo);
      await chmod(repo, 0o555);
      const config = join(root, "zops.yml");
      await writeFile(config, `repository:\n  url: ${pathToFileURL(repo).href}\npostgres:\n  dataDir: /nonexistent\n`);
      await chmod(root, 0o755);
      await chmod(config, 0o644);
      const user = await postgresRunAs();
      const [file, ...args] = zopsCommand();
      const result = await run(file ?? "node", [...args, "--config", config, "repo", "init"], {
        reject: false,
        uid: user?.uid,
        gid: user?.gid,
      });
      expect(result.exitCode, result.stderr).toBe(6);
      expect(result.stderr).toMatch(/STORAGE_IO/);
      expect(result.stderr).toMatch(/permission denied/);
      expect(result.stderr).toContain(repo);
      expect(result.stderr).toMatch(/HINT: .*writable/);
    } finally {
      await removeTempDir(root);
    }
  });
});
