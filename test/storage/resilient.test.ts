import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ZopsError } from "../../src/errors/index.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import { ResilientStorage } from "../../src/storage/resilient.js";
import { FlakyStorage } from "./flaky-storage.js";

const settings = { timeoutSeconds: 0.3, retries: 3, retryDelayMs: 10 };

const failureOf = async (promise: Promise<unknown>): Promise<ZopsError> =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error as ZopsError,
  );

describe("timeout and retry wrapper", () => {
  it("retries transient failures and succeeds", async () => {
    const flaky = new FlakyStorage();
    flaky.script.put = ["transient", "transient"];
    const storage = new ResilientStorage(flaky, settings);
    await storage.put("k", "v");
    expect(flaky.calls.put).toBe(3);
    expect((await getBuffer(storage, "k")).toString()).toBe("v");
  });

  it("gives up after retries + 1 attempts and says how many", async () => {
    const flaky = new FlakyStorage();
    flaky.script.stat = ["transient", "transient", "transient", "transient", "transient"];
    const error = await failureOf(new ResilientStorage(flaky, settings).stat("k"));
    expect(flaky.calls.stat).toBe(4);
    expect(error.code).toBe("STORAGE_UNREACHABLE");
    expect(error.message).toMatch(/connection reset \(scripted\) \(gave up after 4 attempts\)/);
  });

  it("never retries not-found or credential errors", async () => {
    const flaky = new FlakyStorage();
    flaky.script.get = ["not-found"];
    flaky.script.put = ["credentials"];
    const storage = new ResilientStorage(flaky, settings);
    expect((await failureOf(storage.get("k"))).code).toBe("STORAGE_NOT_FOUND");
    expect((await failureOf(storage.put("k", "v"))).message).not.toMatch(/attempts/);
    expect(flaky.calls.get).toBe(1);
    expect(flaky.calls.put).toBe(1);
  });

  it("never retries on storage that is not networked", async () => {
    const flaky = new FlakyStorage(false);
    flaky.script.stat = ["transient"];
    await failureOf(new ResilientStorage(flaky, settings).stat("k"));
    expect(flaky.calls.stat).toBe(1);
  });

  it("does not retry a put of a one-shot stream, but retries a stream factory", async () => {
    const flaky = new FlakyStorage();
    const storage = new ResilientStorage(flaky, settings);
    flaky.script.put = ["transient"];
    await failureOf(storage.put("once", Readable.from([Buffer.from("x")])));
    expect(flaky.calls.put).toBe(1);
    flaky.script.put = ["transient"];
    await storage.put("factory", () => Readable.from([Buffer.from("y")]));
    expect(flaky.calls.put).toBe(3);
    expect((await getBuffer(storage, "factory")).toString()).toBe("y");
  });

  it("times out a hanging operation after timeoutSeconds per attempt and names the timeout", async () => {
    const flaky = new FlakyStorage();
    flaky.script.delete = ["hang", "hang"];
    const started = performance.now();
    const error = await failureOf(new ResilientStorage(flaky, { ...settings, retries: 1 }).delete(["k"]));
    expect(error.message).toMatch(
      /unable to delete 'k' in repository 'flaky:\/\/test': timed out after 0.3 s \(gave up after 2 attempts\)/,
    );
    expect(flaky.calls.delete).toBe(2);
    // Each attempt waited its whole timeout (a lower bound cannot race: timers never fire early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
  });

  it("resumes a listing after a mid-list failure without repeating or losing keys", async () => {
    const flaky = new FlakyStorage();
    const storage = new ResilientStorage(flaky, settings);
    for (let index = 0; index < 20; index += 1) await flaky.memory.put(`l/${String(index).padStart(2, "0")}`, "x");
    flaky.listFailAfter = 7;
    const keys = await listAll(storage, "l/");
    expect(keys).toEqual(Array.from({ length: 20 }, (_, index) => `l/${String(index).padStart(2, "0")}`));
    expect(flaky.calls.list).toBe(2);
  });

  it("does not count a slow source against the put timeout, only storage stalls", async () => {
    const flaky = new FlakyStorage();
    const storage = new ResilientStorage(flaky, settings);
    const slowSource = Readable.from(
      (async function* () {
        for (let index = 0; index < 3; index += 1) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          yield Buffer.from(`part${index}`);
        }
      })(),
    );
    await storage.put("slow", slowSource);
    expect((await getBuffer(storage, "slow")).toString()).toBe("part0part1part2");
  });

  it(
    "does not time out a download whose consumer is slow (a stalled " +
      "body is tested against a real server in s3.test.ts)",
    async () => {
      const flaky = new FlakyStorage(false);
      const storage = new ResilientStorage(flaky, settings);
      await flaky.memory.put("obj", Buffer.alloc(1000, 1));
      const stream = await storage.get("obj");
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect((await getBuffer(storage, "obj")).length).toBe(1000);
      let total = 0;
      for await (const chunk of stream) total += (chunk as Buffer).length;
      expect(total).toBe(1000);
    },
  );
});
