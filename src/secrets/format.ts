import { z } from "zod";

export const SECRETS_FORMAT = "zops-secrets-archive";
export const SECRETS_VERSION = 1;

/**
 * The manifest of a secrets archive: facts about the encrypted object, never names or contents of the files (those live
 * only inside the encrypted tar).
 */
export const secretsManifestSchema = z.strictObject({
  format: z.literal(SECRETS_FORMAT),
  version: z.literal(SECRETS_VERSION),
  id: z.string(),
  createdAt: z.string(),
  host: z.string(),
  /** The age-encrypted tar: key, size and SHA-256 of the ciphertext. */
  object: z.strictObject({ key: z.string(), size: z.int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Public age recipients it was encrypted to. */
  recipients: z.array(z.string()),
  /** Number of files inside (names are not recorded here). */
  files: z.int().min(0),
});
export type SecretsManifest = z.infer<typeof secretsManifestSchema>;
