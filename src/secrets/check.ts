import { sha256Of } from "../crypto/hash.js";
import { isZopsError } from "../errors/index.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { readSecretsManifest } from "./catalog.js";
import { parseAgeHeader } from "./age-header.js";

/** Result of checking a secrets archive without its identity. */
export interface SecretsCheckReport {
  readonly id: string;
  readonly ok: boolean;
  readonly size: number;
  readonly stanzas: number;
  readonly problems: string[];
}

/**
 * Checks archive `id` (or "latest") without an identity: the object exists, its SHA-256 matches the manifest, its age
 * header parses with one X25519 stanza per recorded recipient and a payload of a valid length. Read-only; returns a
 * report (throws only NOT_FOUND/VERIFY_FAILED for the manifest itself).
 */
export const checkSecretsArchive = async (storage: Storage, id: string): Promise<SecretsCheckReport> => {
  const manifest = await readSecretsManifest(storage, id);
  const problems: string[] = [];
  let body: Buffer | undefined;
  try {
    body = await getBuffer(storage, manifest.object.key);
  } catch (error) {
    if (!isZopsError(error, "STORAGE_NOT_FOUND")) throw error;
    problems.push(`secrets archive object '${manifest.object.key}' is missing from the repository`);
  }
  let stanzas = 0;
  if (body) {
    if (body.length !== manifest.object.size)
      problems.push(
        `secrets archive '${manifest.object.key}' has ${body.length} ` +
          `bytes, the manifest records ${manifest.object.size}`,
      );
    if (sha256Of(body) !== manifest.object.sha256)
      problems.push(`secrets archive '${manifest.object.key}': checksum mismatch`);
    const header = parseAgeHeader(body);
    if ("error" in header) problems.push(`secrets archive '${manifest.object.key}': ${header.error}`);
    else {
      stanzas = header.x25519Stanzas;
      if (stanzas !== manifest.recipients.length)
        problems.push(
          `secrets archive '${manifest.object.key}': ${stanzas} X25519 ` +
            `recipient stanza(s), the manifest records ` +
            `${manifest.recipients.length}`,
        );
    }
  }
  return { id: manifest.id, ok: problems.length === 0, size: body?.length ?? 0, stanzas, problems };
};
