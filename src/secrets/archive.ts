import { lstat } from "node:fs/promises";
import { hostname } from "node:os";
import type { Readable } from "node:stream";
import { Encrypter } from "age-encryption";
import { create } from "tar";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { secretsArchiveKey, secretsManifestKey } from "../repo/layout.js";
import { readAll } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { makeTimeId } from "../repo/time-id.js";
import { SECRETS_FORMAT, SECRETS_VERSION, type SecretsManifest } from "./format.js";

/** Secrets are buffered in memory (age encrypts a buffer in one call); larger sets are refused. */
export const MAX_SECRETS_BYTES = 64 << 20;

export interface SecretsArchiveResult {
  readonly id: string;
  readonly manifestKey: string;
  readonly objectKey: string;
  readonly files: number;
  /** Ciphertext bytes stored. */
  readonly size: number;
}

/**
 * Builds the encrypter for `recipients`; throws CONFIG_INVALID naming the bad recipient (public keys only, never
 * secrets).
 */
export const makeEncrypter = (recipients: readonly string[]): Encrypter => {
  if (recipients.length === 0)
    throw new ZopsError(
      "CONFIG_INVALID",
      "secrets.recipients is empty: secrets cannot be archived without an age recipient",
      {
        hint:
          "add the public key printed by `age-keygen` (age1...) to " +
          "secrets.recipients; keep the private key off this machine",
      },
    );
  const encrypter = new Encrypter();
  for (const recipient of recipients) {
    try {
      encrypter.addRecipient(recipient);
    } catch (error) {
      throw new ZopsError(
        "CONFIG_INVALID",
        `secrets.recipients: '${recipient}' is not a valid age recipient (${(error as Error).message})`,
        { hint: "use the age1... public key printed by `age-keygen -y KEYFILE`", cause: error },
      );
    }
  }
  return encrypter;
};

/**
 * Archives `paths` (files or directories; symlinks are followed) as a tar encrypted with age to `recipients` in memory,
 * then stores the ciphertext and, last, a manifest that holds no names or contents (the ciphertext is deleted again
 * when the manifest cannot be written). Plaintext never reaches storage. Throws CONFIG_INVALID (recipients),
 * PRECONDITION (missing path, too large).
 */
export const createSecretsArchive = async (
  storage: Storage,
  paths: readonly string[],
  recipients: readonly string[],
): Promise<SecretsArchiveResult> => {
  const encrypter = makeEncrypter(recipients);
  for (const path of paths) {
    await lstat(path).catch((error: unknown) => {
      throw new ZopsError("PRECONDITION", `secrets path '${path}' does not exist or cannot be read`, {
        hint: "fix secrets.paths in zops.yml",
        cause: error,
      });
    });
  }
  let files = 0;
  const plaintext = await readAll(
    create(
      {
        cwd: "/",
        follow: true,
        portable: false,
        strict: true,
        onWriteEntry: (entry) => {
          if (entry.type === "File") files += 1;
        },
      },
      paths.map((path) => path.replace(/^\/+/, "")),
    ) as unknown as Readable,
  ).catch((error: unknown) => {
    throw new ZopsError(
      "PRECONDITION",
      `unable to read the secrets files: ` +
        `${(error as NodeJS.ErrnoException).code ?? "error"} on ` +
        `'${(error as NodeJS.ErrnoException).path ?? "?"}'`,
      { hint: "run zops backup as root (or a user that can read every secrets path)" },
    );
  });
  if (plaintext.length > MAX_SECRETS_BYTES) {
    plaintext.fill(0);
    throw new ZopsError(
      "PRECONDITION",
      `secrets.paths hold ${plaintext.length} bytes, more than the ${MAX_SECRETS_BYTES}-byte limit for secrets`,
      { hint: "list only key and config files in secrets.paths; bulk data belongs in uploads.paths" },
    );
  }
  const ciphertext = Buffer.from(await encrypter.encrypt(plaintext));
  plaintext.fill(0);
  const id = makeTimeId(new Date());
  const sha256 = sha256Of(ciphertext);
  const objectKey = secretsArchiveKey(sha256);
  await storage.put(objectKey, ciphertext, { size: ciphertext.length });
  const manifest: SecretsManifest = {
    format: SECRETS_FORMAT,
    version: SECRETS_VERSION,
    id,
    createdAt: new Date().toISOString(),
    host: hostname(),
    object: { key: objectKey, size: ciphertext.length, sha256 },
    recipients: [...recipients],
    files,
  };
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const manifestKey = secretsManifestKey(id, sha256Of(body));
  await storage.put(manifestKey, body, { size: body.length }).catch(async (error: unknown) => {
    await storage.delete([objectKey]).catch(() => undefined);
    throw error;
  });
  return { id, manifestKey, objectKey, files, size: ciphertext.length };
};
