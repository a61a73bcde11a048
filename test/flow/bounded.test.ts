import { describe, expect, it } from "vitest";
import { forEachBounded, mapBounded, settleBounded } from "../../src/flow/bounded.js";

// The one bounded-concurrency helper: the limit holds, results keep their order, the first error stops new work.

const tracked = () => {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const work = async (item: number): Promise<number> => {
    started.push(item);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    if (item === 3) throw new Error("three");
    return item * 10;
  };
  return { work, started, most: () => most };
};

describe("bounded concurrency", () => {
  it("keeps at most `limit` in flight and the results in order", async () => {
    const items = [0, 1, 2, 4, 5, 6, 7];
    const { work, most } = tracked();
    expect(await mapBounded(items, 3, work)).toEqual(items.map((item) => item * 10));
    expect(most()).toBe(3);
  });

  it("starts nothing new after the first error and rejects with it", async () => {
    const { work, started } = tracked();
    await expect(
      forEachBounded([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, async (item) => void (await work(item))),
    ).rejects.toThrow("three");
    expect(started.length).toBeLessThan(10);
  });

  it("settles every item when asked, in order", async () => {
    const { work } = tracked();
    const results = await settleBounded([2, 3, 4], 8, work);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await mapBounded([], 4, work)).toEqual([]);
  });
});
