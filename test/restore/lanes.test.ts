import { describe, expect, it } from "vitest";
import { planLanes } from "../../src/restore/lanes.js";

const drain = (lanes: ReturnType<typeof planLanes<string>>, lane: number): string[] => {
  const taken: string[] = [];
  for (let value = lanes.take(lane); value !== undefined; value = lanes.take(lane)) taken.push(value);
  return taken;
};

describe("restore lanes", () => {
  it("keeps each file's objects in one lane, in order, and balances lanes by bytes (largest groups first)", () => {
    const items = [
      ...[1, 2, 3, 4].map((n) => ({ group: "big", bytes: 16, value: `big-${n}` })),
      ...[1, 2].map((n) => ({ group: "mid", bytes: 16, value: `mid-${n}` })),
      { group: "small-a", bytes: 8, value: "small-a" },
      { group: "small-b", bytes: 8, value: "small-b" },
    ];
    const lanes = planLanes(items, 2);
    // Lane 0 gets the 64-byte group; lane 1 the 32-byte one and both small ones (48 bytes).
    expect([lanes.take(0), lanes.take(0)]).toEqual(["big-1", "big-2"]);
    expect([1, 2, 3, 4].map(() => lanes.take(1))).toEqual(["mid-1", "mid-2", "small-a", "small-b"]);
    // Lane 1 ran dry: it takes from the back of lane 0, which goes on from the front.
    expect(lanes.take(1)).toBe("big-4");
    expect(drain(lanes, 0)).toEqual(["big-3"]);
    expect(lanes.take(1)).toBeUndefined();
  });

  it("lets a lane that runs dry take from the back of the fullest lane", () => {
    const items = [
      ...[1, 2, 3, 4, 5, 6].map((n) => ({ group: "big", bytes: 16, value: `big-${n}` })),
      { group: "tiny", bytes: 1, value: "tiny" },
    ];
    const lanes = planLanes(items, 2);
    expect(lanes.take(1)).toBe("tiny");
    expect(lanes.take(1)).toBe("big-6");
    expect(lanes.take(0)).toBe("big-1");
    const rest = [...drain(lanes, 0), ...drain(lanes, 1)];
    expect(rest.sort()).toEqual(["big-2", "big-3", "big-4", "big-5"]);
    expect(lanes.take(0)).toBeUndefined();
    expect(planLanes([], 3).take(2)).toBeUndefined();
  });
});
