import { ZopsError } from "../errors/index.js";
import type { SnapshotManifest } from "./format.js";

/** Turns an absolute path into a snapshot entry path (no leading `/`); pure. */
export const toEntryPath = (absolute: string): string => absolute.replace(/^\/+/, "").replace(/\/+$/, "");

/** True when entry `path` is `selector` or lies under it (selector given absolute or relative). */
export const isSelected = (path: string, selector: string): boolean => {
  const wanted = toEntryPath(selector);
  return wanted === "" || path === wanted || path.startsWith(`${wanted}/`);
};

/**
 * Throws VERIFY_FAILED unless every entry path is relative, has no `.`/`..`/empty parts, and no entry lies under a
 * symlink entry (so restore never writes outside its target).
 */
export const checkEntryPaths = (manifest: SnapshotManifest, where: string): void => {
  const symlinks = new Set<string>();
  for (const entry of manifest.entries) if (entry.type === "symlink") symlinks.add(entry.path);
  for (const entry of manifest.entries) {
    const parts = entry.path.split("/");
    const bad =
      entry.path.startsWith("/") ||
      entry.path.includes("\0") ||
      parts.some((part) => part === "" || part === "." || part === "..");
    const underLink = parts.some((_, index) => index > 0 && symlinks.has(parts.slice(0, index).join("/")));
    if (bad || underLink) {
      throw new ZopsError("VERIFY_FAILED", `snapshot manifest '${where}' has an unsafe path '${entry.path}'`, {
        hint: "the manifest is damaged or was not written by zops; restore refuses to write outside its target",
      });
    }
  }
};
