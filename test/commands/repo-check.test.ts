import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meta as repoCheckMeta, runRepoCheck } from "../../src/commands/repo-check.js";
import { resultStatus } from "../../src/commands/exits.js";
import { runRepoInit } from "../../src/commands/repo-init.js";
import { openStorage } from "../../src/storage/open.js";
import { listAll } from "../../src/storage/read.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeRepoConfig } from "./repo-helpers.js";

const OPERATIONS = [
  "read the repository marker",
  "put a small object",
  "get it back",
  "ranged get",
  "stat",
  "list by prefix",
  "large streamed put (multipart)",
  "overwrite an existing key",
  "get a missing key",
  "delete (twice: idempotent)",
];

interface CheckJson {
  ok: boolean;
  results: { id: string; operation: string; status: string; detail: string; error?: { code: string } }[];
}

const asRoot = process.getuid?.() === 0;

describe("zops repo check", () => {
  let dir: string;
  let s3: TestS3Server;
  beforeAll(async () => {
    dir = await makeTempDir("repo-check", { forPostgres: false });
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.destroy();
    await removeTempDir(dir);
  });

  it("passes every operation on a file repository, prints a table, and leaves nothing behind", async () => {
    const repo = join(dir, "file-repo");
    const globals = await writeRepoConfig(dir, { url: pathToFileURL(repo).href });
    await runRepoInit(globals);
    const result = await runRepoCheck(globals);
    const json = result.json as CheckJson;
    expect(resultStatus(repoCheckMeta.exits, result)).toBe(0);
    expect(json.ok).toBe(true);
    // Last, the check as the archiving user (run as root here: repo init gave the directory to postgres).
    expect(json.results.map((row) => row.operation)).toEqual([...OPERATIONS, "as postgres (archive_command)"]);
    expect(
      json.results.every((row) => row.status === (row.id === "archiving-user" && !asRoot ? "skipped" : "ok")),
    ).toBe(true);
    expect(json.results[0]?.detail).toMatch(/present/);
    expect(json.results.find((row) => row.operation.startsWith("large"))?.detail).toMatch(/single streamed write/);
    expect(result.text).toMatch(/OPERATION\s+RESULT\s+TIME\s+DETAIL/);
    expect(result.text).toMatch(/ranged get\s+ok/);
    expect(await readdir(repo)).toEqual(["zops-repository.json"]);
  });

  it("passes on S3 with a multipart upload and cleans its prefix", async () => {
    const target = s3.withPrefix("check-ok");
    const result = await runRepoCheck(
      await writeRepoConfig(dir, target.repositoryConfig, { timeoutSeconds: 10, retries: 1, retryDelayMs: 50 }),
    );
    const json = result.json as CheckJson;
    expect(resultStatus(repoCheckMeta.exits, result), result.text).toBe(0);
    expect(json.results.find((row) => row.operation.startsWith("large"))?.detail).toMatch(/multipart upload/);
    expect(json.results[0]?.detail).toMatch(/no zops-repository.json yet/);
    const storage = await openStorage({
      repository: target.repositoryConfig,
      storage: { timeoutSeconds: 5, retries: 0, retryDelayMs: 50 },
    });
    expect(await listAll(storage, "")).toEqual([]);
    await storage.close?.();
  });

  it("fails with the storage exit code when S3 is stopped, skipping what depends on put", async () => {
    const other = await startS3Server();
    await other.stop();
    try {
      const started = performance.now();
      const result = await runRepoCheck(
        await writeRepoConfig(dir, other.repositoryConfig, { timeoutSeconds: 1, retries: 0, retryDelayMs: 50 }),
      );
      expect(performance.now() - started).toBeLessThan(8000);
      const json = result.json as CheckJson;
      expect(resultStatus(repoCheckMeta.exits, result)).toBe(6);
      expect(json.ok).toBe(false);
      const put = json.results.find((row) => row.operation === "put a small object");
      expect(put?.status).toBe("failed");
      expect(put?.error?.code).toBe("STORAGE_UNREACHABLE");
      expect(json.results.find((row) => row.operation === "get it back")?.status).toBe("skipped");
      expect(result.text).toMatch(/put a small object\s+FAILED/);
      expect(result.text).toContain(other.endpoint);
    } finally {
      await other.destroy();
    }
  });

  it("fails on a hanging endpoint within the timeout", async () => {
    const { createServer } = await import("node:net");
    const sockets: import("node:net").Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const started = performance.now();
      const result = await runRepoCheck(
        await writeRepoConfig(
          dir,
          {
            url: "s3://bucket/p",
            s3: { endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", forcePathStyle: true },
          },
          { timeoutSeconds: 1, retries: 0, retryDelayMs: 50 },
        ),
      );
      expect(performance.now() - started).toBeLessThan(8000);
      expect(resultStatus(repoCheckMeta.exits, result)).toBe(6);
      expect(result.text).toMatch(/timed out after 1 s/);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
