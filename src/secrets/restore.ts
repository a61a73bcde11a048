import { chmod, lchown, mkdir, open, unlink, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Decrypter } from "age-encryption";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError, localError } from "../errors/index.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { readSecretsManifest } from "./catalog.js";
import { readIdentityFile } from "./identity.js";
import { parseSecretsTar } from "./tar-entries.js";

export interface RestoreSecretsResult {
  readonly id: string;
  /** Restored file paths (relative to the target directory). */
  readonly files: string[];
}

/**
 * Decrypts archive `id` (or "latest") with the identities in `identityFile` and writes its files under
 * targetDir/<original path> with mode 0600 (directories 0700) and, as root, their recorded owner. Nothing is written
 * unless decryption and the checksum succeed.
 * @throws PRECONDITION when the identity is not a recipient; VERIFY_FAILED for a damaged archive; NOT_FOUND for an
 * unknown id; DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the local path that could not be written.
 */
export const restoreSecrets = async (
  storage: Storage,
  id: string,
  targetDir: string,
  identityFile: string,
  options: { owners?: boolean } = {},
): Promise<RestoreSecretsResult> => {
  const { identities, recipients } = await readIdentityFile(identityFile);
  const manifest = await readSecretsManifest(storage, id);
  const ciphertext = await getBuffer(storage, manifest.object.key);
  if (sha256Of(ciphertext) !== manifest.object.sha256) {
    throw new ZopsError("VERIFY_FAILED", `secrets archive '${manifest.object.key}': checksum mismatch`, {
      hint: "the object was damaged in storage; restore an older archive (`zops backups` lists them)",
    });
  }
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.from(await decrypter.decrypt(ciphertext));
  } catch (error) {
    if (/no identity matched/.test((error as Error).message)) {
      throw new ZopsError(
        "PRECONDITION",
        `identity file '${identityFile}' cannot decrypt secrets archive ` +
          `${manifest.id}: its key (${recipients.join(", ")}) is not one ` +
          `of the archive's recipients (${manifest.recipients.join(", ")})`,
        {
          hint: "pass the private key that matches one of those recipients with --identity",
        },
      );
    }
    throw new ZopsError(
      "VERIFY_FAILED",
      `secrets archive '${manifest.object.key}' could not be decrypted: ${(error as Error).message}`,
      { hint: "the archive was damaged or tampered with; restore an older archive" },
    );
  }
  const entries = await parseSecretsTar(plaintext, `secrets archive ${manifest.id}`);
  plaintext.fill(0);
  const owners = options.owners ?? process.getuid?.() === 0;
  try {
    return { id: manifest.id, files: await writeSecrets(entries, targetDir, owners) };
  } catch (error) {
    throw localError(error, `unable to restore the secrets under '${targetDir}'`);
  } finally {
    for (const entry of entries) entry.content.fill(0);
  }
};

// Writes the decrypted entries under targetDir (files 0600, directories 0700, owners as root); returns their paths.
const writeSecrets = async (
  entries: Awaited<ReturnType<typeof parseSecretsTar>>,
  targetDir: string,
  owners: boolean,
): Promise<string[]> => {
  await mkdir(targetDir, { recursive: true, mode: 0o700 });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(targetDir, ...entry.path.split("/"));
    if (entry.type === "dir") {
      await mkdir(path, { recursive: true, mode: 0o700 });
      await chmod(path, 0o700);
      if (owners) await lchown(path, entry.uid, entry.gid);
      continue;
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await unlink(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    });
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(entry.content);
      await handle.chmod(0o600);
      if (owners) await handle.chown(entry.uid, entry.gid);
    } finally {
      await handle.close();
    }
    entry.content.fill(0);
    if (entry.mtime) await utimes(path, entry.mtime, entry.mtime);
    files.push(entry.path);
  }
  return files;
};
