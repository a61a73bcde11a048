import { ZopsError } from "../errors/index.js";

/**
 * Throws USAGE-class INTERNAL error unless `key` is a safe relative object key (no `..`, no leading `/`, no empty
 * parts).
 */
export const assertKey = (key: string): string => {
  const parts = key.split("/");
  if (
    key.length === 0 ||
    key.startsWith("/") ||
    parts.some((part) => part === "" || part === "." || part === "..") ||
    key.includes("\0")
  ) {
    throw new ZopsError("INTERNAL", `invalid storage key '${key}'`, {
      hint: "keys are relative, '/'-separated and contain no '.' or '..' parts",
    });
  }
  return key;
};

/** Returns the error thrown when `key` is missing at `location`. */
export const notFound = (location: string, key: string, cause?: unknown): ZopsError =>
  new ZopsError("STORAGE_NOT_FOUND", `object '${key}' not found in repository '${location}'`, {
    hint: "check the repository URL and that the object was not deleted; `zops verify` lists what is missing",
    cause,
  });
