import { describe, expect, it } from "vitest";
import { dryRunStorage } from "../../src/storage/dry-run.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import { getBuffer, listAll } from "../../src/storage/read.js";

describe("dry-run storage", () => {
  it("passes reads through and refuses every write with INTERNAL, changing nothing", async () => {
    const memory = new MemoryStorage();
    await memory.put("a/one", "1");
    const storage = dryRunStorage(memory);
    expect((await getBuffer(storage, "a/one")).toString()).toBe("1");
    expect((await storage.stat("a/one"))?.size).toBe(1);
    expect(await listAll(storage, "a/")).toEqual(["a/one"]);
    await expect(storage.put("a/two", "2")).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/dry run: refused to write 'a\/two'/),
    });
    await expect(storage.delete(["a/one", "a/x"])).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringMatching(/refused to delete 'a\/one' and 1 more/),
    });
    await storage.delete([]);
    expect(await listAll(memory, "")).toEqual(["a/one"]);
  });
});
