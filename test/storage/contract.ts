import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isZopsError } from "../../src/errors/index.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import type { Storage } from "../../src/storage/storage.js";
import { failingStream, hashStream, makeDataStream, peakBufferGrowth } from "./contract-data.js";

/** What a driver's test file provides: a fresh, empty storage and its cleanup. */
export interface ContractSubject {
  readonly storage: Storage;
  readonly cleanup?: () => Promise<void>;
}

const MIB = 1024 * 1024;

const expectNotFound = async (promise: Promise<unknown>, key: string): Promise<void> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isZopsError(error, "STORAGE_NOT_FOUND"), `expected STORAGE_NOT_FOUND, got ${String(error)}`).toBe(true);
  expect((error as Error).message).toContain(key);
};

/** Runs the storage contract (the same cases for every driver) against storages made by `factory`. */
export const runStorageContract = (name: string, factory: () => Promise<ContractSubject>): void => {
  describe(`storage contract: ${name}`, () => {
    let subject: ContractSubject;
    let storage: Storage;
    beforeAll(async () => {
      subject = await factory();
      storage = subject.storage;
    });
    afterAll(async () => {
      await storage?.close?.();
      await subject?.cleanup?.();
    });

    it("round-trips an empty and a small object, and stat reports their sizes", async () => {
      await storage.put("round/empty", Buffer.alloc(0));
      await storage.put("round/small.json", '{"a":1}');
      expect((await getBuffer(storage, "round/empty")).length).toBe(0);
      expect((await getBuffer(storage, "round/small.json")).toString()).toBe('{"a":1}');
      expect((await storage.stat("round/empty"))?.size).toBe(0);
      const info = await storage.stat("round/small.json");
      expect(info?.size).toBe(7);
      expect(info?.key).toBe("round/small.json");
    });

    it("round-trips a streamed 100 MiB object with bounded memory", async () => {
      const data = makeDataStream(100 * MIB);
      let result: { size: number } | undefined;
      const growth = await peakBufferGrowth(async () => {
        result = await storage.put("round/big.bin", data.stream());
      });
      expect(result?.size).toBe(100 * MIB);
      // Loose: live buffers (after a full GC) must stay well below the object's size.
      if (storage.capabilities.multipart)
        expect(growth, `peak live buffer growth ${(growth / MIB).toFixed(1)} MiB`).toBeLessThan(90 * MIB);
      expect((await storage.stat("round/big.bin"))?.size).toBe(100 * MIB);
      expect(await hashStream(await storage.get("round/big.bin"))).toEqual({ sha256: data.sha256, size: 100 * MIB });
    });

    it("overwrites an object with a new version", async () => {
      await storage.put("round/over", "first version");
      await storage.put("round/over", "second");
      expect((await getBuffer(storage, "round/over")).toString()).toBe("second");
    });

    it("reads byte ranges: start only, start and end, empty, and beyond the end", async () => {
      const data = randomBytes(1000);
      await storage.put("range/object", data);
      expect(await getBuffer(storage, "range/object", { range: { start: 10 } })).toEqual(data.subarray(10));
      expect(await getBuffer(storage, "range/object", { range: { start: 10, end: 20 } })).toEqual(
        data.subarray(10, 20),
      );
      expect(await getBuffer(storage, "range/object", { range: { start: 0, end: 1 } })).toEqual(data.subarray(0, 1));
      expect((await getBuffer(storage, "range/object", { range: { start: 5, end: 5 } })).length).toBe(0);
      expect(await getBuffer(storage, "range/object", { range: { start: 990, end: 5000 } })).toEqual(
        data.subarray(990),
      );
      expect((await getBuffer(storage, "range/object", { range: { start: 1000 } })).length).toBe(0);
      expect((await getBuffer(storage, "range/object", { range: { start: 4000 } })).length).toBe(0);
    });

    it("lists more than 1000 keys under a prefix, in key order, and deletes them in one call", async () => {
      const keys = Array.from({ length: 1050 }, (_, index) => `list/a/${String(index).padStart(5, "0")}`);
      const others = ["list/ab", "list/b/one", "lis"];
      const all = [...keys, ...others];
      for (let index = 0; index < all.length; index += 50) {
        await Promise.all(all.slice(index, index + 50).map((key) => storage.put(key, key)));
      }
      const listed = await listAll(storage, "list/a/");
      expect(listed.length).toBe(1050);
      expect(listed).toEqual(keys);
      expect(await listAll(storage, "list/a")).toEqual([...keys, "list/ab"]);
      expect(await listAll(storage, "list/b/")).toEqual(["list/b/one"]);
      expect(await listAll(storage, "list/none/")).toEqual([]);
      const sized = [];
      for await (const info of storage.list("list/b/")) sized.push(info);
      expect(sized[0]?.size).toBe("list/b/one".length);
      await storage.delete(all);
      expect(await listAll(storage, "list")).toEqual([]);
      expect(await listAll(storage, "lis")).toEqual([]);
    });

    it("reports missing objects as typed STORAGE_NOT_FOUND and stat as undefined", async () => {
      await expectNotFound(storage.get("missing/object"), "missing/object");
      await expectNotFound(storage.get("missing/object", { range: { start: 0, end: 0 } }), "missing/object");
      await expectNotFound(
        getBuffer(storage, "missing/deeper/object", { range: { start: 3 } }),
        "missing/deeper/object",
      );
      expect(await storage.stat("missing/object")).toBeUndefined();
    });

    it("deletes many keys idempotently (missing keys are fine, twice is fine)", async () => {
      await storage.put("del/one", "1");
      await storage.put("del/two", "2");
      await storage.put("del/keep", "k");
      await storage.delete(["del/one", "del/two", "del/never-existed"]);
      await storage.delete(["del/one", "del/two"]);
      await storage.delete([]);
      expect(await listAll(storage, "del/")).toEqual(["del/keep"]);
    });

    it("ends concurrent writers to one key with one complete version, never a mix", async () => {
      const sizes = [3 * MIB, 9 * MIB, 12 * MIB + 5, 1 * MIB];
      const versions = sizes.map((size, index) => makeDataStream(size, index + 7));
      await Promise.all(versions.map((version) => storage.put("race/key", version.stream())));
      const stored = await hashStream(await storage.get("race/key"));
      const winner = versions.findIndex((version) => version.sha256 === stored.sha256);
      expect(winner, "stored object matches none of the written versions").toBeGreaterThanOrEqual(0);
      expect(stored.size).toBe(sizes[winner]);
      expect(await listAll(storage, "race/")).toEqual(["race/key"]);
    });

    it("keeps nothing from a put whose stream fails, and keeps the previous version", async () => {
      await expect(storage.put("fail/new", failingStream(12 * MIB))).rejects.toThrow();
      expect(await storage.stat("fail/new")).toBeUndefined();
      expect(await listAll(storage, "fail/")).toEqual([]);
      await storage.put("fail/old", "old version");
      await expect(storage.put("fail/old", failingStream(2 * MIB))).rejects.toThrow();
      expect((await getBuffer(storage, "fail/old")).toString()).toBe("old version");
      expect(await listAll(storage, "fail/")).toEqual(["fail/old"]);
    });

    it("rejects unsafe keys", async () => {
      for (const key of ["", "/abs", "a/../b", "a//b", "./a"]) {
        await expect(storage.put(key, "x")).rejects.toThrow(/invalid storage key/);
      }
    });
  });
};
