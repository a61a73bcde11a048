import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { cp, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compressBuffer } from "../../src/compress/zstd.js";
import { sha256Of } from "../../src/crypto/hash.js";
import { walKey } from "../../src/repo/layout.js";
import { findWalObject, listWal } from "../../src/wal/catalog.js";
import {
  compareWalNames,
  nextSegment,
  segmentForLsn,
  segmentRange,
  segmentStartLsn,
} from "../../src/pg/wal-segment.js";
import { parseLsn } from "../../src/pg/lsn.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { makeTempDir } from "../support/temp.js";
import {
  makeFileRepository,
  runZops,
  storageOf,
  waitForPusher,
  writeTestConfig,
  type WalTestConfig,
} from "./support.js";

const LOAD_HOOK = fileURLToPath(new URL("../storage/fixtures/record-chunks.mjs", import.meta.url));
const SEG = (n: number) => `00000001000000000000${n.toString(16).toUpperCase().padStart(4, "0")}`;

describe("WAL segment names", () => {
  it("does segment arithmetic across the log boundary", () => {
    expect(nextSegment("0000000100000000000000FE")).toBe("0000000100000000000000FF");
    expect(nextSegment("0000000100000000000000FF")).toBe("000000010000000100000000");
    expect(segmentForLsn("0/3000028", 1)).toBe("000000010000000000000003");
    expect(segmentForLsn("16/B374D848", 2)).toBe("0000000200000016000000B3");
    expect(segmentStartLsn("000000010000000100000002")).toBe(parseLsn("1/2000000"));
    expect(segmentRange("0000000100000000000000FE", "000000010000000100000001")).toEqual([
      "0000000100000000000000FE",
      "0000000100000000000000FF",
      "000000010000000100000000",
      "000000010000000100000001",
    ]);
    expect(compareWalNames("000000010000000000000002", "000000020000000000000001")).toBeLessThan(0);
    expect(() => nextSegment("00000001.history")).toThrow(/not a WAL segment name/);
    expect(() => parseLsn("12345")).toThrow(/not an LSN/);
  });
});

// CLI behaviour on a fake data directory (no server needed): exit codes PostgreSQL depends on.
describe("wal-push / wal-fetch exit codes and spools", () => {
  let config: WalTestConfig;
  let dataDir: string;
  let repoDir: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    const repo = await makeFileRepository();
    repoDir = repo.dir;
    config = await writeTestConfig({ url: repo.url }, { wal: { pushAhead: 3, prefetch: 2 } });
    dataDir = await makeTempDir("data");
    await mkdir(join(dataDir, "pg_wal", "archive_status"), { recursive: true });
    await mkdir(join(dataDir, "global"), { recursive: true });
    const control = Buffer.alloc(8192);
    control.writeBigUInt64LE(7_000_000_000_000_000_001n, 0);
    await writeFile(join(dataDir, "global", "pg_control"), control);
    await writeFile(join(dataDir, "PG_VERSION"), "15\n");
    for (let n = 1; n <= 6; n += 1) {
      const data = randomBytes(256 * 1024);
      files.set(SEG(n), data);
      await writeFile(join(dataDir, "pg_wal", SEG(n)), data);
      await writeFile(join(dataDir, "pg_wal", "archive_status", `${SEG(n)}.ready`), "");
    }
  });

  const push = (name: string) =>
    runZops(["--config", config.path, "--json", "wal-push", join("pg_wal", name)], { cwd: dataDir });
  const done = (name: string) =>
    cp(
      join(dataDir, "pg_wal", "archive_status", `${name}.ready`),
      join(dataDir, "pg_wal", "archive_status", `${name}.done`),
    ).then(() =>
      import("node:fs/promises").then(({ unlink }) =>
        unlink(join(dataDir, "pg_wal", "archive_status", `${name}.ready`)),
      ),
    );

  it(
    "pushes ahead in a background process, then serves PostgreSQL's " +
      "later calls from the spool; a record serves only the same file",
    async () => {
      const spool = join(dataDir, "pg_wal", "zops-spool");
      const first = await push(SEG(1));
      expect(first.exitCode, first.stderr).toBe(0);
      const result = JSON.parse(first.stdout).result as { status: string; pusher: string; identityCached: boolean };
      expect(result).toMatchObject({ status: "stored", pusher: "started", identityCached: false });
      await waitForPusher(spool);
      await done(SEG(1));
      // Rounds of wal.pushAhead (3) until nothing is left; SEG(1), stored by PostgreSQL's own call, is not pushed
      // again.
      expect((await readdir(join(spool, "push"))).sort()).toEqual([2, 3, 4, 5, 6].map(SEG));
      const report = JSON.parse(await readFile(join(spool, "pusher.json"), "utf8")) as {
        pushed: { name: string; status: string }[];
        failures: unknown[];
      };
      expect(report.pushed.map((item) => `${item.name}:${item.status}`).sort()).toEqual(
        [2, 3, 4, 5, 6].map((n) => `${SEG(n)}:stored`),
      );
      expect(report.failures).toEqual([]);

      const second = JSON.parse((await push(SEG(2))).stdout).result as { status: string };
      expect(second.status).toBe("spooled");
      await done(SEG(2));
      // The start-up fast path (plain `--config F wal-push P`) consumes the record too, loading no module but the entry
      // file.
      const log = join(await makeTempDir("loaded"), "modules.txt");
      await writeFile(log, "");
      const [node, ...script] = zopsCommand();
      const fast = await execa(
        node ?? "node",
        [
          "--import",
          pathToFileURL(LOAD_HOOK).href,
          ...script,
          "--config",
          config.path,
          "wal-push",
          join("pg_wal", SEG(3)),
        ],
        {
          cwd: dataDir,
          reject: false,
          env: { ZOPS_TEST_LOAD_LOG: log },
        },
      );
      expect(fast.exitCode, fast.stderr).toBe(0);
      expect(fast.stdout + fast.stderr).toBe("");
      expect(await readdir(join(spool, "push"))).not.toContain(SEG(3));
      const zopsModules = (await readFile(log, "utf8"))
        .split("\n")
        .filter((url) => url.startsWith("file:") && !url.includes("record-chunks"));
      expect(zopsModules.map((url) => url.split("/").pop())).toEqual(["zops.js"]);
      await done(SEG(3));

      // A record made from another file (here: the file was rewritten since) is not trusted, on the fast path either:
      // the file is really pushed, which finds different content stored and refuses.
      const original = files.get(SEG(4)) ?? Buffer.alloc(0);
      await writeFile(join(dataDir, "pg_wal", SEG(4)), randomBytes(original.length));
      const rewritten = await runZops(["--config", config.path, "wal-push", join("pg_wal", SEG(4))], { cwd: dataDir });
      expect(rewritten.exitCode).toBe(6);
      expect(rewritten.stderr).toMatch(
        /STORAGE_CONFLICT\]: WAL file 000000010000000000000004 is already archived .* with different content/,
      );
      await writeFile(join(dataDir, "pg_wal", SEG(4)), original);
      const again = JSON.parse((await push(SEG(4))).stdout).result as { status: string; identityCached: boolean };
      expect(again).toMatchObject({ status: "exists", identityCached: true });
      await done(SEG(4));

      const stored = await listWal(await storageOf(config));
      for (let n = 1; n <= 6; n += 1) {
        const object = stored.find((item) => item.name === SEG(n));
        expect(object?.key, SEG(n)).toBe(walKey(SEG(n), sha256Of(files.get(SEG(n)) ?? "")));
      }
    },
  );

  it("waits for a live process that is pushing the same file, and takes over the claim of a dead one", async () => {
    const fresh = await makeTempDir("data-claim");
    await cp(dataDir, fresh, { recursive: true, filter: (source) => !source.includes("zops-spool") });
    const noAhead = await writeTestConfig({ url: config.config.repository.url }, { wal: { pushAhead: 0 } });
    const spool = join(fresh, "pg_wal", "zops-spool");
    await mkdir(join(spool, "claim"), { recursive: true });
    await mkdir(join(spool, "push"), { recursive: true });
    const holder = execa("sleep", ["30"]);
    try {
      await writeFile(join(spool, "claim", SEG(5)), String(holder.pid));
      const call = runZops(["--config", noAhead.path, "--json", "wal-push", join("pg_wal", SEG(5))], { cwd: fresh });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await Promise.race([call.then(() => "finished"), Promise.resolve("waiting")])).toBe("waiting");
      // The holder finishes: its record appears, its claim says stored.
      const stat = await import("node:fs/promises").then(({ stat }) =>
        stat(join(fresh, "pg_wal", SEG(5)), { bigint: true }),
      );
      const file = {
        dev: String(stat.dev),
        ino: String(stat.ino),
        size: String(stat.size),
        mtimeNs: String(stat.mtimeNs),
      };
      const sha256 = sha256Of(files.get(SEG(5)) ?? "");
      await writeFile(
        join(spool, "push", SEG(5)),
        JSON.stringify({
          name: SEG(5),
          sha256,
          key: walKey(SEG(5), sha256),
          location: config.config.repository.url,
          pushedAt: new Date().toISOString(),
          file,
        }),
      );
      await writeFile(join(spool, "claim", SEG(5)), "stored");
      const finished = await call;
      expect(finished.exitCode, finished.stderr).toBe(0);
      expect(JSON.parse(finished.stdout).result).toMatchObject({ status: "spooled" });
    } finally {
      holder.kill();
    }
    await holder.catch(() => undefined);
    // A claim whose process is gone is stale: the call pushes at once.
    await writeFile(join(spool, "claim", SEG(6)), String(holder.pid));
    const started = performance.now();
    const taken = await runZops(["--config", noAhead.path, "--json", "wal-push", join("pg_wal", SEG(6))], {
      cwd: fresh,
    });
    expect(taken.exitCode, taken.stderr).toBe(0);
    expect(JSON.parse(taken.stdout).result).toMatchObject({ status: "exists", pusher: "off" });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(await readFile(join(spool, "claim", SEG(6)), "utf8")).toBe("stored");

    // What a background pusher failed at is reported once, as a WARNING line, by the next call that pushes.
    await writeFile(
      join(spool, "pusher.json"),
      JSON.stringify({
        pushed: [],
        failures: [{ name: SEG(4), error: "storage timed out" }],
        finishedAt: new Date().toISOString(),
      }),
    );
    const warned = await runZops(["--config", noAhead.path, "wal-push", join("pg_wal", SEG(4))], { cwd: fresh });
    expect(warned.exitCode, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(
      /^zops wal-push: WARNING: the background push-ahead of 1 file\(s\) failed \(first: \w{24}: storage timed out\)/,
    );
    const quiet = await runZops(["--config", noAhead.path, "wal-push", join("pg_wal", SEG(3))], { cwd: fresh });
    expect(quiet.stderr).toBe("");
  });

  it(
    "wal-fetch: exit 1 for a segment beyond the end of the archive, " +
      "0 with the bytes otherwise, from the prefetch spool next",
    async () => {
      const target = await makeTempDir("restore");
      await mkdir(join(target, "pg_wal"));
      const dest = join(target, "pg_wal", "RECOVERYXLOG");
      const fetch = (name: string) => runZops(["--config", config.path, "--json", "wal-fetch", name, dest]);
      const one = await fetch(SEG(1));
      expect(one.exitCode, one.stderr).toBe(0);
      expect(JSON.parse(one.stdout).result).toMatchObject({ source: "repository", prefetched: [SEG(2), SEG(3)] });
      expect((await readFile(dest)).equals(files.get(SEG(1)) ?? Buffer.alloc(0))).toBe(true);
      const two = await fetch(SEG(2));
      expect(JSON.parse(two.stdout).result).toMatchObject({ source: "spool" });
      expect((await readFile(dest)).equals(files.get(SEG(2)) ?? Buffer.alloc(0))).toBe(true);

      // A spooled copy that was damaged on disk is re-verified, dropped and fetched again.
      const spool = join(target, "pg_wal", "zops-spool", "fetch");
      const entry = (await readdir(spool)).find((name) => name.startsWith(SEG(3)));
      await writeFile(join(spool, entry ?? "x"), randomBytes(10));
      const three = await fetch(SEG(3));
      expect(JSON.parse(three.stdout).result).toMatchObject({ source: "repository" });
      expect((await readFile(dest)).equals(files.get(SEG(3)) ?? Buffer.alloc(0))).toBe(true);

      const end = await fetch(SEG(0x40));
      expect(end.exitCode).toBe(1);
      // The normal end of recovery: one LOG-style line, never an ERROR (log alerting must not fire on every restore).
      expect(end.stderr).toMatch(/^zops wal-fetch: LOG: WAL file 0000000100000000000000(40) is not in repository/);
      expect(end.stderr).not.toContain("ERROR");
      expect(end.stderr.trim().split("\n")).toHaveLength(1);
      expect(JSON.parse(end.stdout).error).toMatchObject({ code: "STORAGE_NOT_FOUND" });
    },
  );

  it("wal-fetch: exit 128 (recovery stops) for a corrupt object, a hole in the chain, no repository", async () => {
    const dest = join(await makeTempDir("out"), "seg");
    const storage = await storageOf(config);
    // Corrupt: a valid zstd frame whose content does not match the checksum in its key.
    const victim = await findWalObject(storage, SEG(1));
    await writeFile(join(repoDir, ...(victim?.key ?? "").split("/")), compressBuffer(randomBytes(1000)));
    const corrupt = await runZops(["--config", config.path, "wal-fetch", SEG(1), dest]);
    expect(corrupt.exitCode).toBe(128);
    expect(corrupt.stderr).toMatch(/VERIFY_FAILED\]: WAL object '.*' .* is corrupt: checksum mismatch/);
    // Truncated frame.
    await writeFile(
      join(repoDir, ...(victim?.key ?? "").split("/")),
      compressBuffer(files.get(SEG(1)) ?? Buffer.alloc(0)).subarray(0, 5000),
    );
    const truncated = await runZops(["--config", config.path, "wal-fetch", SEG(1), dest]);
    expect(truncated.exitCode).toBe(128);
    expect(truncated.stderr).toMatch(/is corrupt: not a valid zstd frame/);

    // A hole: segment 5 was pushed ahead? Push 5 and 6 explicitly, delete 5.
    for (const name of [SEG(4), SEG(5), SEG(6)]) expect((await push(name)).exitCode).toBe(0);
    const five = await findWalObject(storage, SEG(5));
    await storage.delete([five?.key ?? ""]);
    const hole = await runZops(["--config", config.path, "wal-fetch", SEG(5), dest]);
    expect(hole.exitCode).toBe(128);
    expect(hole.stderr).toMatch(
      /WAL file 000000010000000000000005 is missing .* although later segment 000000010000000000000006 .* has a hole/,
    );

    const nowhere = await writeTestConfig({ url: `file://${await makeTempDir("empty")}` });
    const missingRepo = await runZops(["--config", nowhere.path, "wal-fetch", SEG(1), dest]);
    expect(missingRepo.exitCode).toBe(128);
    expect(missingRepo.stderr).toMatch(/REPO_INVALID\]: no zops repository/);

    const badName = await runZops(["--config", config.path, "wal-fetch", "RECOVERYXLOG", dest]);
    expect(badName.exitCode).toBe(128);
  });

  it("archives and restores timeline history and .partial files under their own keys", async () => {
    const history = Buffer.from("1\t0/3000000\tno recovery target specified\n");
    await writeFile(join(dataDir, "pg_wal", "00000002.history"), history);
    const partial = randomBytes(4096);
    await writeFile(join(dataDir, "pg_wal", `${SEG(7)}.partial`), partial);
    for (const name of ["00000002.history", `${SEG(7)}.partial`])
      await writeFile(join(dataDir, "pg_wal", "archive_status", `${name}.ready`), "");
    for (const name of ["00000002.history", `${SEG(7)}.partial`]) expect((await push(name)).exitCode).toBe(0);
    const stored = await listWal(await storageOf(config));
    expect(stored.find((item) => item.name === "00000002.history")?.key).toBe(
      `wal/history/00000002.history-${sha256Of(history)}.zst`,
    );
    expect(stored.find((item) => item.kind === "partial")?.key).toBe(
      `wal/0000000100000000/${SEG(7)}.partial-${sha256Of(partial)}.zst`,
    );
    const dest = join(await makeTempDir("hist"), "pg_wal");
    await mkdir(dest);
    const fetched = await runZops([
      "--config",
      config.path,
      "wal-fetch",
      "00000002.history",
      join(dest, "RECOVERYHISTORY"),
    ]);
    expect(fetched.exitCode, fetched.stderr).toBe(0);
    expect((await readFile(join(dest, "RECOVERYHISTORY"))).equals(history)).toBe(true);
    const future = await runZops([
      "--config",
      config.path,
      "wal-fetch",
      "00000003.history",
      join(dest, "RECOVERYHISTORY"),
    ]);
    expect(future.exitCode).toBe(1);
  });

  it("wal.markDone: pushed-ahead files get .done at once, so PostgreSQL starts no process for them", async () => {
    const marking = await writeTestConfig({ url: `file://${repoDir}` }, { wal: { pushAhead: 8, markDone: true } });
    const fresh = await makeTempDir("data3");
    await cp(dataDir, fresh, { recursive: true, filter: (source) => !source.includes("zops-spool") });
    const status = join(fresh, "pg_wal", "archive_status");
    for (const entry of await readdir(status))
      await import("node:fs/promises").then(({ rm }) => rm(join(status, entry)));
    for (let n = 1; n <= 6; n += 1) await writeFile(join(status, `${SEG(n)}.ready`), "");
    const result = await runZops(["--config", marking.path, "--json", "wal-push", join("pg_wal", SEG(1))], {
      cwd: fresh,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    await waitForPusher(join(fresh, "pg_wal", "zops-spool"));
    expect((await readdir(status)).sort()).toEqual([
      `${SEG(1)}.ready`,
      ...[2, 3, 4, 5, 6].map((n) => `${SEG(n)}.done`),
    ]);
    expect(await readdir(join(fresh, "pg_wal", "zops-spool", "push"))).toEqual([]);
  });

  it("wal-push: archives even when the spool cannot be written (a full or broken pg_wal)", async () => {
    const fresh = await makeTempDir("data-nospool");
    await cp(dataDir, fresh, { recursive: true, filter: (source) => !source.includes("zops-spool") });
    // A file where the spool directory should be: every spool write fails (ENOTDIR), as on a full file system.
    await writeFile(join(fresh, "pg_wal", "zops-spool"), "in the way");
    const repo = await makeFileRepository();
    const target = await writeTestConfig({ url: repo.url }, { wal: { pushAhead: 8 } });
    const result = await runZops(["--config", target.path, "--json", "wal-push", join("pg_wal", SEG(2))], {
      cwd: fresh,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).result).toMatchObject({ status: "stored", pusher: "none" });
    const stored = await listWal(await storageOf(target));
    expect(stored.map((item) => item.name)).toEqual([SEG(2)]);
  });

  it("wal-push: one clear line and a non-zero exit when the repository cannot be written", async () => {
    const blocker = join(await makeTempDir("blocked"), "file");
    await writeFile(blocker, "not a directory");
    const broken = await writeTestConfig({ url: `file://${blocker}/repo` });
    const fresh = await makeTempDir("data2");
    await cp(dataDir, fresh, { recursive: true, filter: (source) => !source.includes("zops-spool") });
    const result = await runZops(["--config", broken.path, "wal-push", join("pg_wal", SEG(6))], { cwd: fresh });
    expect(result.exitCode).not.toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^zops wal-push: ERROR \[(REPO_INVALID|STORAGE_IO)\]: /);
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});
