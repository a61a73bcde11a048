import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meta as repoInitMeta, runRepoInit } from "../../src/commands/repo-init.js";
import { resultStatus } from "../../src/commands/exits.js";
import { MARKER_KEY } from "../../src/repo/layout.js";
import { openStorage } from "../../src/storage/open.js";
import { listAll } from "../../src/storage/read.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { thrownBy, writeRepoConfig } from "./repo-helpers.js";

describe("zops repo init", () => {
  let dir: string;
  let s3: TestS3Server;
  beforeAll(async () => {
    dir = await makeTempDir("repo-init", { forPostgres: false });
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.destroy();
    await removeTempDir(dir);
  });

  it("creates a file repository with a versioned marker, and refuses to run twice", async () => {
    const repo = join(dir, "new-repo");
    const globals = await writeRepoConfig(dir, { url: pathToFileURL(repo).href });
    const result = await runRepoInit(globals);
    expect(resultStatus(repoInitMeta.exits, result)).toBe(0);
    const marker = JSON.parse(await readFile(join(repo, MARKER_KEY), "utf8"));
    expect(marker).toMatchObject({ format: "zops-repository", version: 1, createdBy: "zops" });
    const before = await readFile(join(repo, MARKER_KEY), "utf8");
    const error = await thrownBy(() => runRepoInit(globals));
    expect(error.code).toBe("PRECONDITION");
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/is already a zops repository \(format version 1, created .*\); nothing was changed/);
    expect(await readFile(join(repo, MARKER_KEY), "utf8")).toBe(before);
  });

  it("refuses a non-empty directory that is not a zops repository, naming what it found", async () => {
    const repo = join(dir, "foreign");
    await mkdir(join(repo, "photos"), { recursive: true });
    await writeFile(join(repo, "photos", "cat.jpg"), "not ours");
    const globals = await writeRepoConfig(dir, { url: pathToFileURL(repo).href });
    const error = await thrownBy(() => runRepoInit(globals));
    expect(error.code).toBe("PRECONDITION");
    expect(error.message).toContain("is not empty and is not a zops repository (found 'photos/cat.jpg')");
    expect(error.hint).toMatch(/empty directory/);
    expect(await readFile(join(repo, "photos", "cat.jpg"), "utf8")).toBe("not ours");
  });

  it("creates an S3 repository under a prefix, refuses it twice, and refuses a foreign prefix", async () => {
    const globals = await writeRepoConfig(dir, s3.withPrefix("init-one").repositoryConfig);
    const result = await runRepoInit(globals);
    expect(result.json).toMatchObject({ ok: true, location: `s3://${s3.bucket}/init-one` });
    const storage = await openStorage({
      repository: { ...s3.withPrefix("init-one").repositoryConfig },
      storage: { timeoutSeconds: 5, retries: 0, retryDelayMs: 50 },
    });
    expect(await listAll(storage, "")).toEqual([MARKER_KEY]);
    expect((await thrownBy(() => runRepoInit(globals))).message).toMatch(/already a zops repository/);
    const foreign = await openStorage({
      repository: { ...s3.withPrefix("foreign").repositoryConfig },
      storage: { timeoutSeconds: 5, retries: 0, retryDelayMs: 50 },
    });
    await foreign.put("backup.tar", "someone else's");
    const error = await thrownBy(async () =>
      runRepoInit(await writeRepoConfig(dir, s3.withPrefix("foreign").repositoryConfig)),
    );
    expect(error.code).toBe("PRECONDITION");
    expect(error.message).toContain("(found 'backup.tar')");
    expect(await listAll(foreign, "")).toEqual(["backup.tar"]);
    await storage.close?.();
    await foreign.close?.();
  });

  it("fails with the storage exit code when S3 is down", async () => {
    const globals = await writeRepoConfig(dir, {
      url: "s3://bucket/x",
      s3: { endpoint: "http://127.0.0.1:1", region: "us-east-1", forcePathStyle: true },
    });
    const error = await thrownBy(() => runRepoInit(globals));
    expect(error.code).toBe("STORAGE_UNREACHABLE");
    expect(error.exitCode).toBe(6);
  });
});
