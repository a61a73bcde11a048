import { randomBytes } from "node:crypto";
import { chown, mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isZopsError } from "../../src/errors/index.js";
import { FileStorage } from "../../src/storage/file.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import { createSecretsArchive } from "../../src/secrets/archive.js";
import { readSecretsManifest, listSecretsArchives } from "../../src/secrets/catalog.js";
import { checkSecretsArchive } from "../../src/secrets/check.js";
import { expireSecrets } from "../../src/secrets/expire.js";
import { restoreSecrets } from "../../src/secrets/restore.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

const isRoot = process.getuid?.() === 0;

describe("secrets archives (file repository)", () => {
  let work: string;
  let repo: FileStorage;
  const token = `db-password-${randomBytes(12).toString("hex")}`;
  const keyLine = `-----BEGIN PRIVATE KEY-----${randomBytes(24).toString("base64")}`;
  let identity: string;
  let recipient: string;
  let identityFile: string;
  let secretDir: string;

  beforeAll(async () => {
    work = await makeTempDir("secrets", { forPostgres: false });
    repo = new FileStorage(join(work, "repo"));
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
    identityFile = join(work, "key.txt");
    await writeFile(identityFile, `# created: now\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });
    secretDir = join(work, "etc", "zulip-secret-dir");
    await mkdir(join(secretDir, "certs"), { recursive: true });
    await writeFile(join(secretDir, "zulip-secrets.conf"), `[secrets]\npostgres_password = ${token}\n`, {
      mode: 0o640,
    });
    await writeFile(join(secretDir, "certs", "server.key"), `${keyLine}\n`, { mode: 0o644 });
    if (isRoot) await chown(join(secretDir, "zulip-secrets.conf"), 4321, 4322);
  });
  afterAll(async () => removeTempDir(work));

  it("stores only ciphertext: no object holds a secret's plaintext or its file names", async () => {
    const result = await createSecretsArchive(repo, [secretDir], [recipient]);
    expect(result.files).toBe(2);
    const keys = await listAll(repo, "");
    expect(keys.length).toBe(2);
    for (const key of keys) {
      const body = await getBuffer(repo, key);
      for (const needle of [token, keyLine, "zulip-secrets.conf", "server.key", "postgres_password"]) {
        expect(body.includes(needle), `${key} contains '${needle.slice(0, 20)}'`).toBe(false);
      }
    }
    const manifest = await readSecretsManifest(repo, "latest");
    expect(manifest).toMatchObject({ id: result.id, recipients: [recipient], files: 2 });
  });

  it("restores with the identity: contents, mode 0600, recorded owner", async () => {
    const target = join(work, "restored");
    const result = await restoreSecrets(repo, "latest", target, identityFile);
    const restored = join(target, secretDir.slice(1), "zulip-secrets.conf");
    expect(result.files).toContain(join(secretDir.slice(1), "zulip-secrets.conf"));
    expect(await readFile(restored, "utf8")).toContain(token);
    expect(await readFile(join(target, secretDir.slice(1), "certs", "server.key"), "utf8")).toBe(`${keyLine}\n`);
    const info = await stat(restored);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(join(target, secretDir.slice(1), "certs", "server.key"))).mode & 0o777).toBe(0o600);
    if (isRoot) expect([info.uid, info.gid]).toEqual([4321, 4322]);
  });

  it("refuses a wrong identity clearly, without leaking key material, and writes nothing", async () => {
    const other = await generateX25519Identity();
    const otherFile = join(work, "other.txt");
    await writeFile(otherFile, `${other}\n`);
    const target = join(work, "wrong");
    const failure = await restoreSecrets(repo, "latest", target, otherFile).catch((error: unknown) => error);
    expect(isZopsError(failure, "PRECONDITION")).toBe(true);
    const error = failure as Error & { hint?: string };
    expect(error.message).toContain(otherFile);
    expect(error.message).toContain(recipient);
    expect(error.hint).toMatch(/--identity/);
    expect(`${error.message}${error.hint}`).not.toContain(other);
    expect(`${error.message}${error.hint}`).not.toContain(identity);
    await expect(stat(target)).rejects.toMatchObject({ code: "ENOENT" });

    await writeFile(otherFile, "not a key\n");
    await expect(restoreSecrets(repo, "latest", target, otherFile)).rejects.toThrow(/holds no age identity/);
  });

  it("checks integrity without an identity; a flipped byte fails the check and the restore", async () => {
    expect(await checkSecretsArchive(repo, "latest")).toMatchObject({ ok: true, stanzas: 1, problems: [] });
    const manifest = await readSecretsManifest(repo, "latest");
    const handle = await open(repo.pathOf(manifest.object.key), "r+");
    const byte = Buffer.alloc(1);
    const at = manifest.object.size - 20;
    await handle.read(byte, 0, 1, at);
    byte[0] = (byte[0] as number) ^ 0x01;
    await handle.write(byte, 0, 1, at);
    await handle.close();
    const report = await checkSecretsArchive(repo, "latest");
    expect(report.ok).toBe(false);
    expect(report.problems.join()).toContain("checksum mismatch");
    await expect(restoreSecrets(repo, "latest", join(work, "damaged"), identityFile)).rejects.toMatchObject({
      code: "VERIFY_FAILED",
    });

    await writeFile(repo.pathOf(manifest.object.key), (await getBuffer(repo, manifest.object.key)).subarray(0, 40));
    expect((await checkSecretsArchive(repo, "latest")).problems.join()).toMatch(/MAC|truncated|header/);
  });

  it("refuses to archive without recipients or with a missing path", async () => {
    await expect(createSecretsArchive(repo, [secretDir], [])).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    await expect(createSecretsArchive(repo, [join(work, "nope")], [recipient])).rejects.toMatchObject({
      code: "PRECONDITION",
    });
  });

  it("expires old archives with their objects", async () => {
    await createSecretsArchive(repo, [secretDir], [recipient]);
    const before = await listSecretsArchives(repo);
    expect(before.length).toBe(2);
    const result = await expireSecrets(repo, { keepLast: 1 });
    expect(result.expired).toEqual([before[0]?.id]);
    expect(await listAll(repo, "secrets/")).toHaveLength(2);
    expect((await checkSecretsArchive(repo, "latest")).ok).toBe(true);
  });
});
