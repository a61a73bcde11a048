import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOADS_INDEX_PREFIX, uploadsPackKey } from "../../src/repo/layout.js";
import { listAll } from "../../src/storage/read.js";
import { FileStorage } from "../../src/storage/file.js";
import { listUploadSnapshots, pickUploadSnapshotForBackup, readUploadSnapshot } from "../../src/uploads/catalog.js";
import { selectTimeIdsToKeep } from "../../src/repo/time-id.js";
import { expireUploads } from "../../src/uploads/expire.js";
import { collectUploadsGarbage } from "../../src/uploads/gc.js";
import { restoreUploads } from "../../src/uploads/restore.js";
import { writeRunningMarker } from "../../src/uploads/running.js";
import { createUploadsSnapshot, type SnapshotOptions } from "../../src/uploads/snapshot.js";
import { verifyUploadsSnapshot } from "../../src/uploads/verify.js";
import type { Storage } from "../../src/storage/storage.js";
import { countingStorage } from "../support/counting-storage.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeTree, type TestTree } from "./tree.js";

const options = (root: string): SnapshotOptions => ({
  paths: [root],
  packSizeBytes: 32 << 10,
  largeFileBytes: 1 << 20,
  compressLevel: 3,
  concurrency: 2,
});

describe("uploads retention and garbage collection", () => {
  let work: string;
  let tree: TestTree;

  beforeAll(async () => {
    work = await makeTempDir("uploads-gc", { forPostgres: false });
    tree = await writeTree(join(work, "uploads"), 200);
  });
  afterAll(async () => removeTempDir(work));

  it("keeps snapshots covering the oldest kept backup, and the newest", () => {
    const ids = ["20260101T000000000Z", "20260102T000000000Z", "20260103T000000000Z", "20260104T000000000Z"].map(
      (id) => ({ id }),
    );
    expect(selectTimeIdsToKeep(ids, { keepSince: new Date("2026-01-02T12:00:00Z") })).toEqual([
      "20260102T000000000Z",
      "20260103T000000000Z",
      "20260104T000000000Z",
    ]);
    expect(selectTimeIdsToKeep(ids, {})).toEqual(["20260104T000000000Z"]);
    expect(selectTimeIdsToKeep(ids, { keepLast: 2, keepIds: ["20260101T000000000Z"] })).toEqual([
      "20260101T000000000Z",
      "20260103T000000000Z",
      "20260104T000000000Z",
    ]);
    expect(pickUploadSnapshotForBackup(ids, new Date("2026-01-02T00:00:00Z"))?.id).toBe("20260102T000000000Z");
    expect(pickUploadSnapshotForBackup(ids, new Date("2026-01-02T00:00:01Z"))?.id).toBe("20260103T000000000Z");
    expect(pickUploadSnapshotForBackup(ids, new Date("2027-01-01T00:00:00Z"))?.id).toBe("20260104T000000000Z");
  });

  it("an interrupted snapshot leaves no snapshot nor marker; the next run reuses its checkpointed packs", async () => {
    const inner = new FileStorage(join(work, "repo-interrupted"));
    const failing: Storage = {
      ...inner,
      location: inner.location,
      capabilities: inner.capabilities,
      put: async (key, body, options) => {
        if (key.startsWith("uploads/snapshots/")) throw new Error("connection reset (simulated)");
        return inner.put(key, body, options);
      },
      get: (key, options) => inner.get(key, options),
      stat: (key) => inner.stat(key),
      list: (prefix) => inner.list(prefix),
      delete: (keys) => inner.delete(keys),
    };
    await expect(createUploadsSnapshot(failing, { ...options(tree.root), indexEvery: 2 })).rejects.toThrow(/simulated/);
    expect(await listUploadSnapshots(inner)).toEqual([]);
    expect(await listAll(inner, "uploads/running/")).toEqual([]);
    const counted = countingStorage(inner);
    const next = await createUploadsSnapshot(counted, options(tree.root));
    expect(next.stats.newFiles).toBe(0);
    expect(counted.writtenUnder("uploads/packs/")).toBe(0);
    expect(await verifyUploadsSnapshot(inner, "latest")).toMatchObject({ ok: true });
  });

  it("removes only packs no manifest references and older than the grace period", async () => {
    const repo = new FileStorage(join(work, "repo"));
    const first = await createUploadsSnapshot(repo, options(tree.root));
    const firstManifest = await readUploadSnapshot(repo, first.id);
    // Replace every file of one directory, so some of the first snapshot's packs are referenced only by it.
    for (const [path] of [...tree.files].filter(([path]) => /^d0[1-2][0-9]\//.test(path)))
      await writeFile(join(tree.root, path), `new ${path}`);
    const second = await createUploadsSnapshot(repo, options(tree.root));
    const secondManifest = await readUploadSnapshot(repo, second.id);
    const onlyFirst = firstManifest.objects
      .map((o) => o.key)
      .filter((key) => !secondManifest.objects.some((o) => o.key === key));
    expect(onlyFirst.length).toBeGreaterThan(0);
    // An interrupted run's pack that no index or manifest knows.
    const orphan = uploadsPackKey("0".repeat(64));
    await repo.put(orphan, "orphan");

    expect((await expireUploads(repo, { keepLast: 1 })).expired).toEqual([first.id]);
    const young = await collectUploadsGarbage(repo, { graceMs: 3_600_000 });
    expect(young.deletedObjects).toEqual([]);
    expect(await repo.stat(orphan)).toBeDefined();

    await writeRunningMarker(repo, "20990101T000000000Z");
    const busy = await collectUploadsGarbage(repo, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(busy.skipped).toMatch(/in progress/);
    await repo.delete(["uploads/running/20990101T000000000Z.json"]);

    const result = await collectUploadsGarbage(repo, { graceMs: 0, now: new Date(Date.now() + 1000) });
    expect(result.deletedObjects.sort()).toEqual([...onlyFirst, orphan].sort());
    for (const object of secondManifest.objects) expect(await repo.stat(object.key), object.key).toBeDefined();
    expect(await listAll(repo, UPLOADS_INDEX_PREFIX)).toHaveLength(1);
    expect(await verifyUploadsSnapshot(repo, "latest")).toMatchObject({ ok: true });
    await restoreUploads(repo, "latest", join(work, "out"));
    expect((await listUploadSnapshots(repo)).map((s) => s.id)).toEqual([second.id]);

    // The rewritten index still lets the next snapshot deduplicate everything.
    const third = await createUploadsSnapshot(repo, options(tree.root));
    expect(third.stats.newFiles).toBe(0);
  });
});
