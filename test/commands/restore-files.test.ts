import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runRestore } from "../../src/commands/restore.js";
import { runVerify } from "../../src/commands/verify.js";
import { listAll } from "../../src/storage/read.js";
import type { Storage } from "../../src/storage/storage.js";
import { createSecretsArchive } from "../../src/secrets/archive.js";
import { createUploadsSnapshot } from "../../src/uploads/snapshot.js";
import { makeTempDir } from "../support/temp.js";
import { makeFileRepository, storageOf, writeTestConfig } from "../wal/support.js";

// `zops restore --uploads-to DIR [--path P]` and `--secrets-to DIR --identity FILE` on a real file repository.
describe("zops restore of uploads and secrets", () => {
  let globals: { config: string; json: boolean; verbose: boolean };
  let work: string;
  let identityFile: string;
  let repoDir: string;
  let storage: Storage;
  const uploads = () => join(work, "uploads");

  beforeAll(async () => {
    work = await makeTempDir("restore-files");
    await mkdir(join(uploads(), "a"), { recursive: true });
    await writeFile(join(uploads(), "a", "one.txt"), "first file");
    await writeFile(join(uploads(), "two.bin"), Buffer.alloc(5000, 9));
    await writeFile(join(work, "secrets.conf"), "password = correct horse battery staple\n", { mode: 0o640 });
    const identity = await generateX25519Identity();
    identityFile = join(work, "key.age");
    await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });
    const repository = await makeFileRepository();
    repoDir = repository.dir;
    const config = await writeTestConfig({ url: repository.url });
    globals = { config: config.path, json: true, verbose: false };
    storage = await storageOf(config);
    await createUploadsSnapshot(storage, {
      paths: [uploads()],
      packSizeBytes: 1 << 20,
      largeFileBytes: 4 << 20,
      compressLevel: 3,
      concurrency: 2,
    });
    await createSecretsArchive(storage, [join(work, "secrets.conf")], [await identityToRecipient(identity)]);
  });

  it("restores the whole uploads snapshot, or single paths, with every checksum verified", async () => {
    const all = join(work, "out-all");
    const result = await runRestore(globals, { uploadsTo: all });
    expect(result.json).toMatchObject({ ok: true, uploads: { files: 2 } });
    expect(await readFile(join(all, uploads(), "a", "one.txt"), "utf8")).toBe("first file");
    const single = join(work, "out-single");
    await runRestore(globals, { uploadsTo: single, path: [join(uploads(), "two.bin")] });
    expect((await readFile(join(single, uploads(), "two.bin"))).equals(Buffer.alloc(5000, 9))).toBe(true);
    await expect(stat(join(single, uploads(), "a", "one.txt"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("decrypts secrets with the identity into files of mode 0600, and refuses a wrong identity", async () => {
    const out = join(work, "out-secrets");
    const result = await runRestore(globals, { secretsTo: out, identity: identityFile });
    expect(result.json).toMatchObject({ ok: true, secrets: { files: 1 } });
    const restored = join(out, work, "secrets.conf");
    expect(await readFile(restored, "utf8")).toContain("correct horse");
    expect((await stat(restored)).mode & 0o777).toBe(0o600);
    const wrong = join(work, "wrong.age");
    await writeFile(wrong, `${await generateX25519Identity()}\n`);
    const error = await runRestore(globals, { secretsTo: join(work, "out-wrong"), identity: wrong }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: expect.stringMatching(/PRECONDITION|VERIFY_FAILED/),
      message: expect.not.stringContaining("correct horse"),
    });
    await expect(stat(join(work, "out-wrong", work, "secrets.conf"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("zops verify checks uploads snapshots and secrets archives, naming a missing pack", async () => {
    const ok = await runVerify(globals);
    expect(ok.text).toContain("uploads snapshots and secrets archives intact");
    const packs = (await listAll(storage, "uploads/packs/")).filter((key) => key.endsWith(".tar.zst"));
    const path = join(repoDir, packs[0] ?? "none");
    await rename(path, `${path}.moved`);
    try {
      await expect(runVerify(globals)).rejects.toMatchObject({
        code: "VERIFY_FAILED",
        message: expect.stringContaining(packs[0] ?? "?"),
      });
    } finally {
      await rename(`${path}.moved`, path);
    }
  });

  it("names the missing flag for incomplete requests", async () => {
    await expect(runRestore(globals, {})).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringContaining("nothing to restore"),
    });
    await expect(runRestore(globals, { secretsTo: "/tmp/x" })).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringContaining("--identity"),
    });
    await expect(runRestore(globals, { to: "/tmp/x", path: ["/a"] })).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringContaining("--uploads-to"),
    });
  });
});
