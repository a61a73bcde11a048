import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isZopsError } from "../../src/errors/index.js";
import { FileStorage } from "../../src/storage/file.js";
import { uploadsSnapshotKey } from "../../src/repo/layout.js";
import { readUploadSnapshot } from "../../src/uploads/catalog.js";
import { putDocument } from "../../src/uploads/documents.js";
import { restoreUploads } from "../../src/uploads/restore.js";
import { createUploadsSnapshot, type SnapshotOptions } from "../../src/uploads/snapshot.js";
import { verifyUploadsSnapshot } from "../../src/uploads/verify.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeTree, type TestTree } from "./tree.js";

const options = (root: string): SnapshotOptions => ({
  paths: [root],
  packSizeBytes: 64 << 10,
  largeFileBytes: 1 << 20,
  compressLevel: 3,
  concurrency: 2,
});

describe("damaged uploads repositories", () => {
  let work: string;
  let tree: TestTree;
  let repo: FileStorage;

  beforeAll(async () => {
    work = await makeTempDir("uploads-damage", { forPostgres: false });
    tree = await writeTree(join(work, "uploads"), 300);
  });
  afterAll(async () => removeTempDir(work));

  const fresh = async (name: string) => {
    repo = new FileStorage(join(work, name));
    await createUploadsSnapshot(repo, options(tree.root));
    return readUploadSnapshot(repo, "latest");
  };

  it("a flipped byte in a pack fails restore and verify, naming the file and the pack", async () => {
    const manifest = await fresh("repo-flip");
    const victim = manifest.entries.find((entry) => entry.path.endsWith("d003/f103.bin"));
    const pack = manifest.objects[victim?.object ?? -1]?.key as string;
    const handle = await open(repo.pathOf(pack), "r+");
    const position = (victim?.offset ?? 0) + Math.floor((victim?.length ?? 0) / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, position);
    byte[0] = (byte[0] as number) ^ 0xff;
    await handle.write(byte, 0, 1, position);
    await handle.close();

    const failure = await restoreUploads(repo, "latest", join(work, "out-flip")).catch((error: unknown) => error);
    expect(isZopsError(failure, "VERIFY_FAILED")).toBe(true);
    expect((failure as Error).message).toContain(`/${victim?.path}`);
    expect((failure as Error).message).toContain(pack);
    // Every other file was restored, the damaged one was not left behind.
    await expect(readFile(join(work, "out-flip", victim?.path ?? ""))).rejects.toMatchObject({ code: "ENOENT" });
    expect(
      (await readFile(join(work, "out-flip", join(tree.root, "d004/f104.bin").slice(1)))).equals(
        tree.files.get("d004/f104.bin") as Buffer,
      ),
    ).toBe(true);

    const report = await verifyUploadsSnapshot(repo, "latest");
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toContain(`pack '${pack}': checksum mismatch`);
    expect(report.problems.join("\n")).toContain(`/${victim?.path}`);
  });

  it("a missing pack fails verify and restore naming it; the next snapshot stores the lost files again", async () => {
    const manifest = await fresh("repo-missing");
    const pack = manifest.objects[0]?.key as string;
    await repo.delete([pack]);

    const shallow = await verifyUploadsSnapshot(repo, "latest", { deep: false });
    expect(shallow.ok).toBe(false);
    expect(shallow.problems[0]).toContain(`object '${pack}' is missing`);
    const failure = await restoreUploads(repo, "latest", join(work, "out-missing")).catch((error: unknown) => error);
    expect(isZopsError(failure, "VERIFY_FAILED")).toBe(true);
    expect((failure as Error).message).toContain(pack);

    const healed = await createUploadsSnapshot(repo, options(tree.root));
    expect(healed.stats.newFiles).toBeGreaterThan(0);
    expect(await verifyUploadsSnapshot(repo, "latest")).toMatchObject({ ok: true });
    await restoreUploads(repo, "latest", join(work, "out-healed"));
  });

  it("a manifest with an escaping path or a malformed entry is refused before restore writes anything", async () => {
    const crafted = new FileStorage(join(work, "repo-crafted"));
    const manifest = {
      format: "zops-uploads-snapshot",
      version: 1,
      id: "20260101T000000000Z",
      host: "x",
      startedAt: "2026-01-01T00:00:00Z",
      finishedAt: "2026-01-01T00:00:01Z",
      roots: ["/x"],
      parent: null,
      stats: { files: 0, dirs: 1, symlinks: 0, bytes: 0, newFiles: 0, newBytes: 0, uploadedBytes: 0, skipped: 0 },
      objects: [],
      entries: [{ path: "x/../../etc", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0 }],
    };
    await putDocument(crafted, (sha) => uploadsSnapshotKey(manifest.id, sha), manifest);
    await expect(restoreUploads(crafted, "latest", join(work, "out-crafted"))).rejects.toThrow(
      /unsafe path 'x\/..\/..\/etc'/,
    );
    await expect(readFile(join(work, "out-crafted"))).rejects.toMatchObject({ code: "ENOENT" });
    await crafted.delete(await readdirKeys(crafted, "uploads/"));
    await putDocument(crafted, (sha) => uploadsSnapshotKey(manifest.id, sha), {
      ...manifest,
      entries: [{ path: "x", type: "dir", mode: -1, uid: 0, gid: 0, mtime: 0 }],
    });
    await expect(readUploadSnapshot(crafted, "latest")).rejects.toThrow(/entry 0: invalid mode/);
  });

  it("a damaged manifest is refused with its key named", async () => {
    await fresh("repo-manifest");
    const [key] = [...(await readdirKeys(repo, "uploads/snapshots/"))];
    await writeFile(repo.pathOf(key as string), "garbage");
    await expect(readUploadSnapshot(repo, "latest")).rejects.toThrow(
      new RegExp(`unable to read '${key}': checksum mismatch`),
    );
  });
});

const readdirKeys = async (storage: FileStorage, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys;
};
