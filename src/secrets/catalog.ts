import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { parseSecretsManifestKey, SECRETS_MANIFESTS_PREFIX } from "../repo/layout.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { secretsManifestSchema, type SecretsManifest } from "./format.js";

/** A complete secrets archive as listed (its manifest exists). */
export interface SecretsArchiveInfo {
  readonly id: string;
  readonly key: string;
  readonly sha256: string;
  readonly modified?: Date;
}

/** Lists complete secrets archives, oldest first (an archive exists once its manifest does). */
export const listSecretsArchives = async (storage: Storage): Promise<SecretsArchiveInfo[]> => {
  const archives: SecretsArchiveInfo[] = [];
  for await (const info of storage.list(SECRETS_MANIFESTS_PREFIX)) {
    const parsed = parseSecretsManifestKey(info.key);
    if (parsed) archives.push({ ...parsed, key: info.key, modified: info.modified });
  }
  return archives.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/**
 * Reads the manifest of archive `id` (or the newest for "latest"), checking its SHA-256 and shape; throws NOT_FOUND or
 * VERIFY_FAILED naming the key.
 */
export const readSecretsManifest = async (storage: Storage, id: string): Promise<SecretsManifest> => {
  const archives = await listSecretsArchives(storage);
  const found = id === "latest" ? archives.at(-1) : archives.find((archive) => archive.id === id);
  if (!found) {
    throw new ZopsError(
      "NOT_FOUND",
      id === "latest"
        ? `no secrets archive in repository '${storage.location}'`
        : `secrets archive '${id}' not found in repository '${storage.location}'`,
      {
        hint:
          archives.length > 0
            ? `existing archives: ${archives
                .slice(-5)
                .map((a) => a.id)
                .join(", ")}`
            : "run `zops backup` with secrets.paths and secrets.recipients configured",
      },
    );
  }
  const body = await getBuffer(storage, found.key);
  if (sha256Of(body) !== found.sha256)
    throw new ZopsError("VERIFY_FAILED", `unable to read '${found.key}': checksum mismatch`, {
      hint: "the manifest was damaged in storage",
    });
  let parsed;
  try {
    parsed = secretsManifestSchema.safeParse(JSON.parse(body.toString("utf8")));
  } catch (error) {
    throw new ZopsError("VERIFY_FAILED", `unable to read '${found.key}': not JSON`, { cause: error });
  }
  if (!parsed.success)
    throw new ZopsError("VERIFY_FAILED", `unable to read '${found.key}': unexpected content`, {
      hint: "written by another zops version or damaged",
    });
  return parsed.data;
};
