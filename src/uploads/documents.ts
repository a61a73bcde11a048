import type { z } from "zod";
import { compressBuffer, decompressBuffer } from "../compress/zstd.js";
import { sha256Of } from "../crypto/hash.js";
import { ZopsError } from "../errors/index.js";
import { getBuffer } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";

/** A stored JSON document whose key names the SHA-256 of its stored bytes. */
export interface StoredDocument {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Stores `value` as zstd-compressed JSON under keyOf(sha256 of the stored bytes); atomic, idempotent (same content,
 * same key).
 */
export const putDocument = async (
  storage: Storage,
  keyOf: (sha256: string) => string,
  value: unknown,
): Promise<StoredDocument> => {
  const body = compressBuffer(Buffer.from(JSON.stringify(value)), 6);
  const sha256 = sha256Of(body);
  const key = keyOf(sha256);
  await storage.put(key, body, { size: body.length });
  return { key, size: body.length, sha256 };
};

/**
 * Reads a document, checks its SHA-256 against the key and its shape against `schema`; throws VERIFY_FAILED naming the
 * key, STORAGE_NOT_FOUND when absent.
 */
export const getDocument = async <T>(
  storage: Storage,
  key: string,
  sha256: string,
  schema: z.ZodType<T>,
): Promise<T> => {
  const body = await getBuffer(storage, key);
  const actual = sha256Of(body);
  if (actual !== sha256) {
    throw new ZopsError(
      "VERIFY_FAILED",
      `unable to read '${key}': checksum mismatch (stored bytes hash to ${actual})`,
      {
        hint: "the object was damaged in storage; `zops verify` reports what else is affected",
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(decompressBuffer(body).toString("utf8"));
  } catch (error) {
    throw new ZopsError("VERIFY_FAILED", `unable to read '${key}': not a zstd-compressed JSON document`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ZopsError(
      "VERIFY_FAILED",
      `unable to read '${key}': unexpected content (${parsed.error.issues[0]?.message ?? "invalid"})`,
      {
        hint: "the object was written by another zops version or is damaged",
      },
    );
  }
  return parsed.data;
};
