import { randomBytes } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOADS_BLOBS_PREFIX, UPLOADS_PACKS_PREFIX } from "../../src/repo/layout.js";
import { createSecretsArchive } from "../../src/secrets/archive.js";
import { checkSecretsArchive } from "../../src/secrets/check.js";
import { restoreSecrets } from "../../src/secrets/restore.js";
import { openStorage } from "../../src/storage/open.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import type { Storage } from "../../src/storage/storage.js";
import { readUploadSnapshot } from "../../src/uploads/catalog.js";
import { restoreUploads } from "../../src/uploads/restore.js";
import { createUploadsSnapshot, type SnapshotOptions } from "../../src/uploads/snapshot.js";
import { verifyUploadsSnapshot } from "../../src/uploads/verify.js";
import { countingStorage } from "../support/counting-storage.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeTree, type TestTree } from "./tree.js";

const options = (root: string): SnapshotOptions => ({
  paths: [root],
  packSizeBytes: 256 << 10,
  largeFileBytes: 512 << 10,
  compressLevel: 3,
  concurrency: 4,
});

describe("uploads and secrets on S3 (s3rver)", () => {
  let s3: TestS3Server;
  let storage: Storage;
  let work: string;
  let tree: TestTree;
  const rel = (path: string) => join(tree.root, path).slice(1);

  beforeAll(async () => {
    s3 = await startS3Server();
    storage = await openStorage({
      repository: s3.repositoryConfig,
      storage: { timeoutSeconds: 30, retries: 2, retryDelayMs: 100 },
    });
    work = await makeTempDir("uploads-s3", { forPostgres: false });
    tree = await writeTree(join(work, "uploads"), 1000, 1 << 20);
  });
  afterAll(async () => {
    await storage?.close?.();
    await s3?.destroy();
    await removeTempDir(work);
  });

  it("second snapshot after changing 1 of 1,000 files uploads about that file's bytes", async () => {
    const repo = countingStorage(storage);
    const first = await createUploadsSnapshot(repo, options(tree.root));
    expect(first.stats.files).toBe(tree.files.size);
    const changed = randomBytes(32 * 1024);
    await writeFile(join(tree.root, "d010/f10.bin"), changed);
    tree.files.set("d010/f10.bin", changed);
    repo.reset();
    const second = await createUploadsSnapshot(repo, options(tree.root));
    const data = repo.writtenUnder(UPLOADS_PACKS_PREFIX) + repo.writtenUnder(UPLOADS_BLOBS_PREFIX);
    expect(second.stats.newFiles).toBe(1);
    expect(data).toBeGreaterThanOrEqual(changed.length);
    expect(data).toBeLessThan(changed.length + 2048);
  });

  it("restores all, one file by ranged GET, and verifies; a missing pack is named", async () => {
    const all = await restoreUploads(storage, "latest", join(work, "all"));
    expect(all.files).toBe(tree.files.size);
    for (const path of ["d010/f10.bin", "large/video.bin", "empty.txt", "dup/copy.bin"]) {
      expect((await readFile(join(work, "all", rel(path)))).equals(tree.files.get(path) as Buffer), path).toBe(true);
    }
    const repo = countingStorage(storage);
    await restoreUploads(repo, "latest", join(work, "one"), { paths: [join(tree.root, "d020/f120.bin")] });
    expect(
      (await readFile(join(work, "one", rel("d020/f120.bin")))).equals(tree.files.get("d020/f120.bin") as Buffer),
    ).toBe(true);
    expect(repo.reads.ranged).toBe(1);
    expect(repo.reads.rangedBytes).toBeLessThan(8192);

    expect(await verifyUploadsSnapshot(storage, "latest")).toMatchObject({ ok: true });
    const manifest = await readUploadSnapshot(storage, "latest");
    const pack = manifest.objects.find((object) => object.key.startsWith(UPLOADS_PACKS_PREFIX))?.key as string;
    await storage.delete([pack]);
    const report = await verifyUploadsSnapshot(storage, "latest", { deep: false });
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toContain(pack);
  });

  it("secrets: only ciphertext in the bucket, restore with the identity, wrong identity refused", async () => {
    const token = `s3cret-${randomBytes(10).toString("hex")}`;
    await writeFile(join(work, "secrets.conf"), `token=${token}\n`, { mode: 0o644 });
    const identity = await generateX25519Identity();
    await writeFile(join(work, "id.txt"), `${identity}\n`);
    await createSecretsArchive(storage, [join(work, "secrets.conf")], [await identityToRecipient(identity)]);
    for (const key of await listAll(storage, "secrets/"))
      expect((await getBuffer(storage, key)).includes(token), key).toBe(false);
    expect((await checkSecretsArchive(storage, "latest")).ok).toBe(true);
    await restoreSecrets(storage, "latest", join(work, "sec"), join(work, "id.txt"));
    const restored = join(work, "sec", work.slice(1), "secrets.conf");
    expect(await readFile(restored, "utf8")).toBe(`token=${token}\n`);
    expect((await stat(restored)).mode & 0o777).toBe(0o600);
    await writeFile(join(work, "other.txt"), `${await generateX25519Identity()}\n`);
    await expect(restoreSecrets(storage, "latest", join(work, "sec2"), join(work, "other.txt"))).rejects.toMatchObject({
      code: "PRECONDITION",
    });
  });
});
