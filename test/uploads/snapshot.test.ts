import { randomBytes } from "node:crypto";
import { lstat, readFile, readlink, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOADS_BLOBS_PREFIX, UPLOADS_PACKS_PREFIX, UPLOADS_SNAPSHOTS_PREFIX } from "../../src/repo/layout.js";
import { FileStorage } from "../../src/storage/file.js";
import { listUploadSnapshots, readUploadSnapshot } from "../../src/uploads/catalog.js";
import { mapBounded } from "../../src/flow/bounded.js";
import { restoreUploads } from "../../src/uploads/restore.js";
import { createUploadsSnapshot, type SnapshotOptions } from "../../src/uploads/snapshot.js";
import { verifyUploadsSnapshot } from "../../src/uploads/verify.js";
import { countingStorage } from "../support/counting-storage.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeTree, type TestTree } from "./tree.js";

const options = (root: string): SnapshotOptions => ({
  paths: [root],
  packSizeBytes: 4 << 20,
  largeFileBytes: 1 << 20,
  compressLevel: 3,
  concurrency: 4,
});

describe("uploads snapshots (file repository, 10,000 files)", () => {
  let work: string;
  let tree: TestTree;
  const storage = () => countingStorage(new FileStorage(join(work, "repo")));
  const rel = (path: string) => join(tree.root, path).slice(1);

  beforeAll(async () => {
    work = await makeTempDir("uploads", { forPostgres: false });
    tree = await writeTree(join(work, "uploads"), 10_000, 2 << 20);
  });
  afterAll(async () => removeTempDir(work));

  it("stores a second snapshot with 1 of 10,000 files changed in about that file's bytes", async () => {
    const repo = storage();
    const first = await createUploadsSnapshot(repo, options(tree.root));
    expect(first.stats.files).toBe(tree.files.size);
    expect(first.stats.symlinks).toBe(2);
    const firstData = repo.writtenUnder(UPLOADS_PACKS_PREFIX) + repo.writtenUnder(UPLOADS_BLOBS_PREFIX);
    const contentBytes = [...tree.files.values()].reduce((sum, content) => sum + content.length, 0);
    expect(firstData).toBeGreaterThan(contentBytes * 0.7);

    const changed = randomBytes(64 * 1024);
    await writeFile(join(tree.root, "d042/f1042.bin"), changed);
    tree.files.set("d042/f1042.bin", changed);
    repo.reset();
    const second = await createUploadsSnapshot(repo, options(tree.root));
    const data = repo.writtenUnder(UPLOADS_PACKS_PREFIX) + repo.writtenUnder(UPLOADS_BLOBS_PREFIX);
    const manifest = repo.writtenUnder(UPLOADS_SNAPSHOTS_PREFIX);
    console.info(
      `first snapshot: ${firstData} data bytes for ${contentBytes} ` +
        `content bytes; second: ${data} data bytes for a ` +
        `${changed.length}-byte change, manifest ${manifest} bytes, ` +
        `${second.bytesWritten} bytes in all, ${second.bytesRead} bytes read`,
    );
    expect(second.parent).toBe(first.id);
    expect(second.stats.newFiles).toBe(1);
    expect(data).toBeGreaterThanOrEqual(changed.length);
    expect(data).toBeLessThan(changed.length + 2048);
    expect(second.bytesRead).toBe(changed.length);
    expect(second.bytesWritten).toBeLessThan(firstData / 10);
    expect((await listUploadSnapshots(repo)).map((s) => s.id)).toEqual([first.id, second.id]);
  });

  it("restores a whole snapshot: contents, modes, mtimes, symlinks as symlinks, all checksums verified", async () => {
    const target = join(work, "restore-all");
    const result = await restoreUploads(storage(), "latest", target);
    expect(result.files).toBe(tree.files.size);
    // Every byte counted once, whatever order the concurrent groups finish in (it once reported the largest file).
    expect(result.bytes).toBe([...tree.files.values()].reduce((sum, content) => sum + content.length, 0));
    const mismatches = (
      await mapBounded([...tree.files], 32, async ([path, content]) => {
        const restored = join(target, rel(path));
        const [data, original, copy] = await Promise.all([
          readFile(restored),
          stat(join(tree.root, path)),
          stat(restored),
        ]);
        const same =
          data.equals(content) &&
          copy.mode === original.mode &&
          copy.uid === original.uid &&
          Math.abs(copy.mtimeMs - original.mtimeMs) < 1;
        return same ? undefined : path;
      })
    ).filter(Boolean);
    expect(mismatches).toEqual([]);
    const link = join(target, rel("outside-link"));
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe("/etc/passwd");
    expect(await readlink(join(target, rel("inside-link")))).toBe("d000/f0.bin");
  });

  it("restores one file with one ranged read, and a large file from its own object", async () => {
    const repo = storage();
    const target = join(work, "restore-one");
    const result = await restoreUploads(repo, "latest", target, { paths: [join(tree.root, "d007/f507.bin")] });
    expect(result.files).toBe(1);
    expect((await readFile(join(target, rel("d007/f507.bin")))).equals(tree.files.get("d007/f507.bin") as Buffer)).toBe(
      true,
    );
    expect(await readdir(join(target, rel("d007")))).toEqual(["f507.bin"]);
    expect(repo.reads.ranged).toBe(1);
    expect(repo.reads.rangedBytes).toBeLessThan(8192);

    await restoreUploads(repo, "latest", target, { paths: [rel("large")] });
    expect(
      (await readFile(join(target, rel("large/video.bin")))).equals(tree.files.get("large/video.bin") as Buffer),
    ).toBe(true);
    await expect(restoreUploads(repo, "latest", target, { paths: ["/no/such/file"] })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("verifies a healthy snapshot deeply and records every file's checksum in the manifest", async () => {
    const report = await verifyUploadsSnapshot(storage(), "latest");
    expect(report).toMatchObject({ ok: true, problems: [] });
    const manifest = await readUploadSnapshot(storage(), "latest");
    const entry = manifest.entries.find((e) => e.path === rel("d001/f1.bin"));
    expect(entry).toMatchObject({ type: "file", size: tree.files.get("d001/f1.bin")?.length, mode: 0o644 });
    expect(entry?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
