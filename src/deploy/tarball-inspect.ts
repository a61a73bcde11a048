import { stat } from "node:fs/promises";
import { posix } from "node:path";
import * as tar from "tar";
import { ZopsError } from "../errors/index.js";
import { MANIFEST_NAME } from "./release-manifest.js";
import { refuseEntry, resolveInsideRelease, topDirectoryOf, type TarEntryInfo } from "./tarball-entry.js";

/** Limits on an untrusted release tarball (`deploy.tarball`). */
export interface TarballLimits {
  readonly maxUnpackedBytes: number;
  readonly maxFiles: number;
}

/** What the read-only pass learned about a release tarball. */
export interface TarballSummary {
  /** The one top directory every entry lives in. */
  readonly top: string;
  readonly entries: number;
  /** Sum of regular file sizes (what unpacking writes). */
  readonly unpackedBytes: number;
  /** Bodies of the collected files, keyed by path relative to the top directory. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** Every regular file path relative to the top directory. */
  readonly paths: readonly string[];
}

const refuse = (file: string, entry: string, why: string): ZopsError =>
  new ZopsError("PRECONDITION", `release tarball '${file}': entry '${entry}' ${why}`, {
    hint:
      "release tarballs must hold one top directory of plain files, " +
      "directories and symlinks that stay inside it " +
      "(docs/release-format.md)",
    details: { tarball: file, entry },
  });

/**
 * Reads a release tarball without writing anything and refuses it (PRECONDITION naming the entry) for absolute paths,
 * '..', links leaving the release, hard links, devices, fifos, more than one top directory, or size/file count over
 * `limits`. Keeps the bodies of files `collect` selects.
 */
export const inspectTarball = async (
  file: string,
  limits: TarballLimits,
  collect: (path: string) => boolean = (path) => path === MANIFEST_NAME,
): Promise<TarballSummary> => {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new ZopsError(
      "PRECONDITION",
      `release tarball '${file}' cannot be read: ${error.code === "ENOENT" ? "no such file" : error.message}`,
      { cause: error },
    );
  });
  if (!info.isFile()) throw new ZopsError("PRECONDITION", `release tarball '${file}' is not a regular file`);
  let top: string | undefined;
  let entries = 0;
  let unpackedBytes = 0;
  let problem: ZopsError | undefined;
  const symlinks = new Map<string, string>();
  const paths: string[] = [];
  const allPaths: string[] = [];
  const files = new Map<string, Buffer>();
  const fail = (entry: string, why: string) => (problem ??= refuse(file, entry, why));
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        entries += 1;
        const described: TarEntryInfo = {
          path: entry.path,
          type: entry.type,
          linkpath: entry.linkpath,
          size: entry.size ?? 0,
        };
        const path = entry.path.replace(/^\.\//, "").replace(/\/+$/, "");
        const why = refuseEntry(described);
        if (why) fail(entry.path, why);
        const entryTop = topDirectoryOf(path);
        top ??= entryTop;
        if (!why && entryTop !== top)
          fail(entry.path, `is outside the top directory '${top}' (a release has exactly one top directory)`);
        if (entry.type === "SymbolicLink" && entry.linkpath) symlinks.set(path, entry.linkpath);
        allPaths.push(path);
        if (entry.type === "File" || entry.type === "OldFile" || entry.type === "ContiguousFile") {
          unpackedBytes += entry.size ?? 0;
          const relative = path.slice(entryTop.length + 1);
          paths.push(relative);
          if (!problem && collect(relative)) {
            const chunks: Buffer[] = [];
            entry.on("data", (chunk: Buffer) => chunks.push(chunk));
            entry.on("end", () => files.set(relative, Buffer.concat(chunks)));
          }
        }
        if (entries > limits.maxFiles)
          fail(entry.path, `exceeds the limit of ${limits.maxFiles} entries (deploy.tarball.maxFiles)`);
        if (unpackedBytes > limits.maxUnpackedBytes)
          fail(
            entry.path,
            `takes the unpacked size over the limit of ${limits.maxUnpackedBytes} bytes (deploy.tarball.maxUnpackedMb)`,
          );
      },
    });
  } catch (error) {
    throw new ZopsError(
      "PRECONDITION",
      `release tarball '${file}' is not a readable tar archive: ${(error as Error).message}`,
      { cause: error, hint: "build it with `tar czf` (gzip or plain tar)" },
    );
  }
  if (problem) throw problem;
  if (top === undefined || entries === 0)
    throw new ZopsError("PRECONDITION", `release tarball '${file}' is empty or not a tar archive`);
  for (const [path, target] of symlinks) {
    if (resolveInsideRelease(`${posix.dirname(path)}/${target}`, symlinks, top) === undefined)
      throw refuse(file, path, `is a symlink to '${target}', which points outside the release`);
  }
  for (const path of allPaths) {
    const parent = posix.dirname(path);
    for (let dir = parent; dir !== "." && dir !== top; dir = posix.dirname(dir)) {
      if (symlinks.has(dir))
        throw refuse(file, path, `lies under the symlink '${dir}' (entries may not be written through links)`);
    }
  }
  return { top, entries, unpackedBytes, files, paths };
};
