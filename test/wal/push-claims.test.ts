import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimIsLive, prepareClaims, processStartTime, tryClaim } from "../../src/wal/push-claims.js";
import { makeTempDir } from "../support/temp.js";

// A claim names its process by pid AND start time (/proc/<pid>/stat), and is trusted only for the archive deadline:
// a reused pid or a claim older than the deadline (a hung pusher) is taken over, so wal-push never waits on it longer.

const DEADLINE_MS = 30_000;

describe("push claims", () => {
  let spool: string;
  const holder = spawn("sleep", ["600"], { stdio: "ignore" });
  beforeAll(async () => {
    spool = await makeTempDir("claims", { forPostgres: false });
    await prepareClaims(spool);
  });
  afterAll(() => {
    holder.kill("SIGKILL");
  });

  const claimAs = async (name: string, claim: Record<string, unknown>) =>
    writeFile(join(spool, "claim", name), JSON.stringify(claim));

  it("holds for a live process with its own start time, within the deadline", async () => {
    const start = await processStartTime(holder.pid ?? 0);
    expect(start).toMatch(/^\d+$/);
    const at = 1_000_000;
    await claimAs("000000010000000000000001", { pid: holder.pid, start, at });
    expect(await claimIsLive(spool, "000000010000000000000001", DEADLINE_MS, at + DEADLINE_MS - 1)).toBe(true);
    expect(await claimIsLive(spool, "000000010000000000000001", DEADLINE_MS, at + DEADLINE_MS)).toBe(false);
  });

  it("is stale when the pid now belongs to another process", async () => {
    const start = await processStartTime(holder.pid ?? 0);
    await claimAs("000000010000000000000002", { pid: holder.pid, start: `${start}1`, at: Date.now() });
    expect(await claimIsLive(spool, "000000010000000000000002", DEADLINE_MS)).toBe(false);
    expect(await tryClaim(spool, "000000010000000000000002", DEADLINE_MS)).toBe(true);
    const taken = JSON.parse(await readFile(join(spool, "claim", "000000010000000000000002"), "utf8"));
    expect(taken).toMatchObject({ pid: process.pid, start: await processStartTime("self") });
  });

  it("is taken over once older than the deadline (a hung pusher), and not before", async () => {
    const start = await processStartTime(holder.pid ?? 0);
    await claimAs("000000010000000000000003", { pid: holder.pid, start, at: Date.now() });
    expect(await tryClaim(spool, "000000010000000000000003", DEADLINE_MS)).toBe(false);
    await claimAs("000000010000000000000003", { pid: holder.pid, start, at: Date.now() - DEADLINE_MS - 1 });
    expect(await tryClaim(spool, "000000010000000000000003", DEADLINE_MS)).toBe(true);
  });
});
