import { execa } from "execa";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeMarker } from "../../src/repo/repository.js";
import { openStorage } from "../../src/storage/open.js";
import { startDrillFixture, type DrillFixture } from "../drill/support.js";
import { runZops } from "../wal/support.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

// Issue 11 item 4: a restore fails for different reasons, and each must say which, with its own hint. Before, all of
// them were VERIFY_FAILED ("the repository copy is damaged: run `zops verify` and restore another backup"), which
// sends the operator to the wrong fix during a disaster. Three causes, three codes:
// - the local disk is full (a 5 MiB tmpfs): DISK_FULL naming the path;
// - objects deleted while the restore runs (as another host's expire would): STORAGE_NOT_FOUND;
// - S3 stalls on every object read: STORAGE_UNREACHABLE after the configured attempts.

type Mode = "pass" | "delete-others" | "stall";

interface Proxy {
  readonly server: Server;
  readonly endpoint: string;
  mode: Mode;
  /** Object reads (GET of backup data) seen, by key. */
  readonly dataGets: string[];
  /** Keys deleted in delete-others mode. */
  readonly deleted: string[];
}

let fixture: DrillFixture;
let s3: TestS3Server;
let proxy: Proxy;
let work: string;
let mounted: string | undefined;
const DAMAGED_HINT = /zops verify/;

const isData = (url: string): boolean => /\/backups\/[^/]+\/data\//.test(url);

// An HTTP proxy in front of s3rver that passes everything, or on reads of backup data deletes every other data object
// first (once), or never answers them.
const startProxy = async (target: string): Promise<Proxy> => {
  const state: Proxy = {
    server: undefined as unknown as Server,
    endpoint: "",
    mode: "pass",
    dataGets: [],
    deleted: [],
  };
  // Every data read waits for the deletion the first one started, so none slips through before it.
  let deletion: Promise<void> | undefined;
  const deleteOthers = async (url: string): Promise<void> => {
    const key = decodeURIComponent(url.split("?")[0]?.replace(`/${s3.bucket}/repo/`, "") ?? "");
    const keys: string[] = [];
    for await (const info of fixture.storage.list(key.replace(/[^/]+$/, ""))) keys.push(info.key);
    const others = keys.filter((other) => other !== key);
    await fixture.storage.delete(others);
    state.deleted.push(...others);
  };
  const server = createServer(async (incoming, outgoing) => {
    const url = incoming.url ?? "";
    if (incoming.method === "GET" && isData(url)) {
      state.dataGets.push(url);
      if (state.mode === "stall") {
        incoming.resume();
        return; // no answer: the client's timeout ends it
      }
      if (state.mode === "delete-others") {
        deletion ??= deleteOthers(url);
        await deletion;
      }
    }
    const forward = httpRequest(`${target}${url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on("error", () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, {
    server,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
};

// A config like the fixture's, reading the repository through the proxy with short timeouts.
const proxiedConfig = async (name: string): Promise<string> => {
  const base = fixture.config.config;
  const file = join(work, `${name}.yml`);
  await writeFile(
    file,
    stringify({
      ...base,
      repository: { ...base.repository, s3: { ...base.repository.s3, endpoint: proxy.endpoint } },
      storage: { timeoutSeconds: 1, retries: 1, retryDelayMs: 10 },
    }),
  );
  return file;
};

const restore = async (config: string, to: string) => {
  const result = await runZops(["--json", "--config", config, "restore", "--to", to], {
    env: { ...s3.env, ZOPS_QUIET: "1", ZOPS_CONFIG_CACHE: "off" },
  });
  const envelope = JSON.parse(String(result.stdout)) as {
    exitStatus: number;
    error?: { code: string; message: string; hint?: string };
  };
  expect(result.exitCode, String(result.stderr).slice(0, 2000)).toBe(envelope.exitStatus);
  return { exitCode: result.exitCode, error: envelope.error };
};

beforeAll(async () => {
  s3 = await startS3Server();
  const storage = await openStorage({
    repository: { ...s3.repositoryConfig },
    storage: { timeoutSeconds: 10, retries: 1, retryDelayMs: 100 },
  });
  await writeMarker(storage);
  await storage.close?.();
  fixture = await startDrillFixture(s3.repositoryConfig, s3.env);
  const backup = await runZops(["--config", fixture.config.path, "--json", "backup", "--type", "full"], {
    env: s3.env,
  });
  expect(backup.exitCode, String(backup.stderr)).toBe(0);
  proxy = await startProxy(s3.endpoint);
  work = await makeTempDir("restore-classes", { forPostgres: false });
}, 300_000);

afterAll(async () => {
  if (mounted) await execa("umount", ["-l", mounted]).catch(() => undefined);
  proxy?.server.closeAllConnections();
  proxy?.server.close();
  await fixture?.destroy();
  await s3?.destroy();
  if (work) await removeTempDir(work);
});

describe("restore failures say what failed", () => {
  it("a full local disk is DISK_FULL naming the path, not a damaged backup", { timeout: 180_000 }, async () => {
    if (process.getuid?.() !== 0) return; // mounting the small file system needs root
    const full = join(work, "full");
    await mkdir(full, { recursive: true });
    await execa("mount", ["-t", "tmpfs", "-o", "size=5m,mode=0777", "tmpfs", full]);
    mounted = full;
    try {
      const to = join(full, "restore");
      const { exitCode, error } = await restore(fixture.config.path, to);
      expect(error).toMatchObject({ code: "DISK_FULL", message: expect.stringContaining(full) });
      expect(error?.message).toMatch(/no space left on device \(ENOSPC\); this restore writes [\d.]+ GiB in all/);
      expect(error?.hint).toMatch(/free space/);
      expect(error?.hint).not.toMatch(DAMAGED_HINT);
      expect(exitCode).toBe(14);
    } finally {
      await execa("umount", ["-l", full]);
      mounted = undefined;
    }
  });

  it("a stalling S3 is STORAGE_UNREACHABLE after the configured attempts", { timeout: 180_000 }, async () => {
    proxy.mode = "stall";
    proxy.dataGets.length = 0;
    try {
      const { exitCode, error } = await restore(await proxiedConfig("stall"), join(work, "stalled"));
      expect(error).toMatchObject({ code: "STORAGE_UNREACHABLE", message: expect.stringMatching(/timed out/) });
      expect(error?.message).toMatch(/gave up after 2 attempts/);
      expect(error?.hint).not.toMatch(DAMAGED_HINT);
      expect(exitCode).toBe(6);
      // storage.retries: 1 means two tries of the object that failed: at least that many reads reached S3.
      expect(proxy.dataGets.length).toBeGreaterThanOrEqual(2);
    } finally {
      proxy.mode = "pass";
    }
  });

  it("objects deleted while the restore runs are STORAGE_NOT_FOUND naming the object", {
    timeout: 180_000,
  }, async () => {
    proxy.mode = "delete-others";
    proxy.dataGets.length = 0;
    try {
      const { exitCode, error } = await restore(await proxiedConfig("deleted"), join(work, "deleted"));
      expect(error).toMatchObject({
        code: "STORAGE_NOT_FOUND",
        message: expect.stringMatching(/object '.+' \(holding/),
      });
      expect(error?.hint).toMatch(/gone from the repository/);
      expect(error?.hint).not.toMatch(DAMAGED_HINT);
      expect(exitCode).toBe(6);
      expect(proxy.deleted.length).toBeGreaterThan(0);
    } finally {
      proxy.mode = "pass";
    }
  });
});
