import { posix } from "node:path";

/** What the checks need to know about one tar entry. */
export interface TarEntryInfo {
  readonly path: string;
  readonly type: string;
  readonly linkpath?: string | undefined;
  readonly size: number;
}

const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink"]);

/**
 * Why an entry may not be unpacked (absolute path, '..', hard link, device, fifo...), or undefined when it may. Pure.
 */
export const refuseEntry = (entry: TarEntryInfo): string | undefined => {
  const path = entry.path;
  if (path.length === 0) return "has an empty path";
  if (path.includes("\0")) return "has a NUL byte in its path";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.includes("\\")) return "has an absolute path";
  if (path.split("/").includes("..")) return "has '..' in its path";
  if (entry.type === "Link")
    return `is a hard link (to '${entry.linkpath ?? ""}'); releases may not contain hard links`;
  if (entry.type === "CharacterDevice" || entry.type === "BlockDevice") return "is a device file";
  if (entry.type === "FIFO") return "is a FIFO (named pipe)";
  if (!ALLOWED_TYPES.has(entry.type)) return `has unsupported type ${entry.type}`;
  if (entry.type === "SymbolicLink") {
    const target = entry.linkpath ?? "";
    if (target.length === 0) return "is a symlink with an empty target";
    if (target.startsWith("/")) return `is a symlink to the absolute path '${target}' (outside the release)`;
  }
  return undefined;
};

/** First path component of a relative tar path ("demo-1.0/app/x" -> "demo-1.0"). Pure. */
export const topDirectoryOf = (path: string): string => path.replace(/^\.\//, "").split("/")[0] ?? "";

/**
 * Resolves `path` (inside the release) following the release's own symlinks; returns the final path relative to the
 * release top, or undefined when it escapes the release. Pure.
 */
export const resolveInsideRelease = (
  path: string,
  symlinks: ReadonlyMap<string, string>,
  top: string,
  depth = 0,
): string | undefined => {
  if (depth > 40) return undefined;
  const parts = path.split("/");
  let resolved = "";
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] ?? "";
    if (part === "" || part === ".") continue;
    const candidate = part === ".." ? posix.dirname(resolved) : resolved ? `${resolved}/${part}` : part;
    if (part === ".." && (resolved === "" || resolved === ".")) return undefined;
    const normalized = candidate === "." ? "" : candidate;
    if (normalized !== top && !normalized.startsWith(`${top}/`)) return undefined;
    const link = symlinks.get(normalized);
    if (link !== undefined) {
      const target = resolveInsideRelease(`${posix.dirname(normalized)}/${link}`, symlinks, top, depth + 1);
      if (target === undefined) return undefined;
      resolved = target;
    } else {
      resolved = normalized;
    }
  }
  return resolved;
};
