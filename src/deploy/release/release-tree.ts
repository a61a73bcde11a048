import type { TarEntry } from "./tar-stream.js";

// The one path model of a release: every entry name is normalised once (POSIX: "." and empty segments dropped, one
// top directory stripped), and the tree of normalised paths is what is checked, planned, unpacked and verified.

/** A node of the release tree (paths relative to the release top, "" is the top itself). */
export type ReleaseNode =
  | { readonly kind: "file"; readonly size: number; readonly mode: number }
  | { readonly kind: "directory"; readonly mode: number; readonly implied: boolean }
  | { readonly kind: "symlink"; readonly target: string };

/** An entry accepted into the tree: its normalised path and node. */
export interface PlacedEntry {
  readonly path: string;
  readonly node: ReleaseNode;
}

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4000;
const MAX_LINK_HOPS = 40;
// C0 controls and DEL; C1 controls (U+0080-U+009F) too: terminals interpret them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const describeControl = (text: string): string => {
  const found = CONTROL.exec(text)?.[0] ?? "";
  return `0x${found.charCodeAt(0).toString(16).padStart(2, "0")}`;
};

/** Why a name or link target is unacceptable as text (control characters, backslash), or undefined. Pure. */
const refuseText = (text: string, what: "name" | "link target"): string | undefined => {
  if (text.length === 0) return `has an empty ${what}`;
  if (CONTROL.test(text)) return `has a control character (${describeControl(text)}) in its ${what}`;
  if (text.includes("\\")) return `has a backslash in its ${what} (a Windows path?); release paths use '/'`;
  return undefined;
};

/** Splits a name into normalised segments or says why it cannot be one. Pure. */
export const normaliseEntryName = (name: string): { segments: string[] } | { why: string } => {
  const bad = refuseText(name, "name");
  if (bad) return { why: bad };
  if (name.startsWith("/")) return { why: "has an absolute path" };
  const segments = name.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) return { why: "has '..' in its path" };
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES))
    return { why: `has a path component longer than ${MAX_SEGMENT_BYTES} bytes` };
  if (Buffer.byteLength(segments.join("/")) > MAX_PATH_BYTES)
    return { why: `has a path longer than ${MAX_PATH_BYTES} bytes` };
  return { segments };
};

const ENTRY_KIND_TEXT: Record<string, string> = {
  hardlink: "is a hard link; releases may not contain hard links",
  "character-device": "is a device file",
  "block-device": "is a device file",
  fifo: "is a FIFO (named pipe)",
  "gnu-sparse": "is a GNU sparse file, which zops does not unpack",
};

/** The release tree being built from a tarball's entries, in archive order. */
export class ReleaseTree {
  /** The one top directory every entry lives in (set by the first entry). */
  top: string | undefined;
  private topSeen = false;
  readonly nodes = new Map<string, ReleaseNode>();
  /** Each path's name as the archive stores it (for messages). */
  readonly rawNames = new Map<string, string>();
  files = 0;
  directories = 0;
  symlinks = 0;
  bytes = 0;

  /**
   * Adds one tar entry: returns the placed entry, undefined for the top directory itself, or a refusal reason
   * (duplicates, writes through links, unsupported types, bad names). Nothing is added when refused.
   */
  add(entry: TarEntry): PlacedEntry | undefined | { why: string } {
    const normal = normaliseEntryName(entry.name);
    if ("why" in normal) return normal;
    if (entry.unsupported) return { why: entry.unsupported };
    const kindText = ENTRY_KIND_TEXT[entry.kind];
    if (kindText) return { why: kindText };
    if (entry.kind === "other") return { why: `has unsupported type '${entry.typeFlag}'` };
    const [first, ...rest] = normal.segments;
    if (first === undefined) {
      if (entry.kind !== "directory") return { why: "names the archive root but is not a directory" };
      return undefined;
    }
    this.top ??= first;
    if (first !== this.top) return { why: `is outside the top directory '${this.top}' (a release has exactly one)` };
    if (rest.length === 0) {
      if (entry.kind !== "directory") return { why: `is the top '${first}' but not a directory` };
      if (this.topSeen) return { why: "appears twice in the tarball" };
      this.topSeen = true;
      return undefined;
    }
    const path = rest.join("/");
    for (let index = 1; index < rest.length; index += 1) {
      const parent = rest.slice(0, index).join("/");
      const node = this.nodes.get(parent);
      if (node?.kind === "symlink")
        return { why: `lies under the symlink '${parent}' (entries may not be written through links)` };
      if (node?.kind === "file") return { why: `lies under '${parent}', which is a file` };
    }
    const existing = this.nodes.get(path);
    let node: ReleaseNode;
    if (entry.kind === "symlink") {
      const bad = refuseText(entry.linkName, "link target");
      if (bad) return { why: bad };
      if (entry.linkName.startsWith("/"))
        return { why: `is a symlink to the absolute path '${entry.linkName}' (outside the release)` };
      node = { kind: "symlink", target: entry.linkName };
    } else if (entry.kind === "directory") node = { kind: "directory", mode: entry.mode, implied: false };
    else node = { kind: "file", size: entry.size, mode: entry.mode };
    if (existing) {
      const impliedDir = existing.kind === "directory" && existing.implied;
      if (!(impliedDir && node.kind === "directory"))
        return { why: `appears twice in the tarball (first as a ${impliedDir ? "directory" : existing.kind})` };
    }
    for (let index = 1; index < rest.length; index += 1) {
      const parent = rest.slice(0, index).join("/");
      if (!this.nodes.has(parent)) {
        this.nodes.set(parent, { kind: "directory", mode: 0o755, implied: true });
        this.directories += 1;
      }
    }
    this.nodes.set(path, node);
    this.rawNames.set(path, entry.name);
    if (!existing) {
      if (node.kind === "file") this.files += 1;
      else if (node.kind === "directory") this.directories += 1;
      else this.symlinks += 1;
    }
    if (node.kind === "file") this.bytes += node.size;
    return { path, node };
  }

  /**
   * Resolves `path` (relative to the top) through the tree as it will exist on disk; returns the resolved segments,
   * "escapes" when it leaves the release, or "loop". Pure.
   */
  resolve(path: string): string[] | "escapes" | "loop" {
    const queue = path.split("/");
    const resolved: string[] = [];
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift() as string;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (resolved.length === 0) return "escapes";
        resolved.pop();
        continue;
      }
      const candidate = [...resolved, part];
      const node = this.nodes.get(candidate.join("/"));
      if (node?.kind === "symlink") {
        hops += 1;
        if (hops > MAX_LINK_HOPS) return "loop";
        if (node.target.startsWith("/")) return "escapes";
        queue.unshift(...node.target.split("/"));
        continue;
      }
      resolved.push(part);
    }
    return resolved;
  }

  /**
   * The first symlink whose target leaves the release (or loops): its path, its name in the archive and the reason;
   * undefined when all stay inside. Pure.
   */
  findEscapingLink(): { path: string; name: string; why: string } | undefined {
    for (const [path, node] of this.nodes) {
      if (node.kind !== "symlink") continue;
      const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
      const result = this.resolve(parent ? `${parent}/${node.target}` : node.target);
      const name = this.rawNames.get(path) ?? path;
      if (result === "escapes")
        return { path, name, why: `is a symlink to '${node.target}', which points outside the release` };
      if (result === "loop") return { path, name, why: `is a symlink to '${node.target}', which loops` };
    }
    return undefined;
  }

  /**
   * Why `dir` cannot be linked to a shared directory (a parent is a symlink or a file in the release), or undefined.
   */
  refuseSharedPath(dir: string): string | undefined {
    const normal = normaliseEntryName(`x/${dir}`);
    if ("why" in normal) return `shared directory '${dir}' ${normal.why}`;
    const segments = normal.segments.slice(1);
    for (let index = 1; index < segments.length; index += 1) {
      const parent = segments.slice(0, index).join("/");
      const node = this.nodes.get(parent);
      if (node?.kind === "symlink")
        return `shared directory '${dir}' lies under the symlink '${parent}' of the release (links are never followed)`;
      if (node?.kind === "file") return `shared directory '${dir}' lies under '${parent}', which is a file`;
    }
    return undefined;
  }
}
