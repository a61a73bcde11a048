import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, readlink, realpath, stat, symlink } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { localError, ZopsError } from "../../errors/index.js";
import { MANIFEST_NAME } from "../release-manifest.js";
import { type PlacedEntry, ReleaseTree } from "./release-tree.js";
import { asTarReadError, openTarball, readTar } from "./tar-stream.js";

/** Limits on an untrusted release tarball (`deploy.tarball`). */
export interface TarballLimits {
  readonly maxUnpackedBytes: number;
  readonly maxFiles: number;
}

/** What reading a release tarball learned: the normalised tree and the bodies of the files asked for. */
export interface ReleaseSummary {
  /** The one top directory every entry lives in. */
  readonly top: string;
  readonly entries: number;
  /** Sum of regular file sizes (what unpacking writes). */
  readonly unpackedBytes: number;
  /** Bodies of the collected files, keyed by path relative to the top directory. */
  readonly files: ReadonlyMap<string, Buffer>;
  /** Every regular file path relative to the top directory. */
  readonly paths: readonly string[];
  readonly tree: ReleaseTree;
}

/** Largest single file the inspection keeps in memory (manifest, config templates, migrations). */
const MAX_COLLECTED_FILE = 8 * 1024 * 1024;
/** Largest total the inspection keeps in memory. */
const MAX_COLLECTED_TOTAL = 32 * 1024 * 1024;

const HINT =
  "release tarballs must hold one top directory of plain files, directories and symlinks that stay inside it, " +
  "each path once (docs/release-format.md)";

/** The refusal of a tarball entry: PRECONDITION naming the tarball and the entry. */
export const refuseEntry = (file: string, entry: string, why: string): ZopsError =>
  new ZopsError("PRECONDITION", `release tarball '${file}': entry '${printable(entry)}' ${why}`, {
    hint: HINT,
    details: { tarball: file, entry },
  });

/** Shows control characters of an untrusted name as escapes. Pure. */
const printable = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);

// A failure of this machine's disk while unpacking: the one errno mapping (DISK_FULL, LOCAL_ACCESS, LOCAL_IO).
const localWriteError = (error: NodeJS.ErrnoException, path: string): unknown =>
  localError(error, "unable to unpack the release", path);

interface Sink {
  readonly collect?: (path: string) => boolean;
  readonly dest?: string;
}

/**
 * Reads a release tarball once, streaming: refuses it (PRECONDITION naming the entry) for any entry that breaks the
 * release rules or crosses `limits` (the read stops there: memory stays bounded); collects the bodies `sink.collect`
 * selects; with `sink.dest` (an empty private directory) also writes each accepted entry there without following any
 * link.
 * @throws PRECONDITION, DISK_FULL
 */
const readRelease = async (file: string, limits: TarballLimits, sink: Sink): Promise<ReleaseSummary> => {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new ZopsError(
      "PRECONDITION",
      `release tarball '${file}' cannot be read: ${error.code === "ENOENT" ? "no such file" : error.message}`,
      { cause: error },
    );
  });
  if (!info.isFile()) throw new ZopsError("PRECONDITION", `release tarball '${file}' is not a regular file`);
  const tree = new ReleaseTree();
  const files = new Map<string, Buffer>();
  const paths: string[] = [];
  let entries = 0;
  let collected = 0;
  let current: string | undefined;
  const source = await openTarball(file);
  try {
    for await (const { entry, body } of readTar(source)) {
      current = entry.name;
      entries += 1;
      if (entries > limits.maxFiles)
        throw refuseEntry(
          file,
          entry.name,
          `exceeds the limit of ${limits.maxFiles} entries (deploy.tarball.maxFiles)`,
        );
      if (entry.kind === "file" && tree.bytes + entry.size > limits.maxUnpackedBytes)
        throw refuseEntry(
          file,
          entry.name,
          `(${entry.size} bytes) takes the unpacked size over the limit of ${limits.maxUnpackedBytes} bytes ` +
            "(deploy.tarball.maxUnpackedMb)",
        );
      const placed = tree.add(entry);
      if (placed && "why" in placed) throw refuseEntry(file, entry.name, placed.why);
      if (!placed) {
        if (sink.dest) await mkdir(sink.dest, { recursive: true, mode: 0o700 });
        continue;
      }
      if (placed.node.kind === "file") paths.push(placed.path);
      if (sink.dest) await writeEntry(sink.dest, placed, body, entry.mtimeSeconds);
      else if (placed.node.kind === "file" && sink.collect?.(placed.path)) {
        if (entry.size > MAX_COLLECTED_FILE || collected + entry.size > MAX_COLLECTED_TOTAL)
          throw refuseEntry(file, entry.name, `is too large to inspect (${entry.size} bytes)`);
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        collected += entry.size;
        files.set(placed.path, Buffer.concat(chunks));
      }
    }
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (sink.dest && code && !code.startsWith("Z_") && !code.startsWith("ERR_"))
      throw localWriteError(error as NodeJS.ErrnoException, sink.dest);
    const problem = asTarReadError(error, current);
    throw new ZopsError(
      "PRECONDITION",
      problem.entry
        ? `release tarball '${file}': unreadable at entry '${printable(problem.entry)}': ${problem.message}`
        : `release tarball '${file}' is not a readable tar archive: ${problem.message}`,
      { cause: error, hint: "build it with `tar czf` (gzip or plain tar)", details: { entry: problem.entry } },
    );
  } finally {
    source.destroy();
  }
  if (tree.top === undefined) throw new ZopsError("PRECONDITION", `release tarball '${file}' has no entries`);
  const escaping = tree.findEscapingLink();
  if (escaping) throw refuseEntry(file, escaping.name, escaping.why);
  return { top: tree.top, entries, unpackedBytes: tree.bytes, files, paths, tree };
};

const writeEntry = async (
  dest: string,
  placed: PlacedEntry,
  body: AsyncIterable<Buffer>,
  mtimeSeconds: number,
): Promise<void> => {
  const target = join(dest, placed.path);
  // Every parent is a directory of the tree (ReleaseTree refuses entries under links and files), so creating them
  // cannot follow a link.
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const node = placed.node;
  if (node.kind === "directory") {
    await mkdir(target, { mode: 0o700 }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST" || !(await lstat(target)).isDirectory()) throw error;
    });
    return;
  }
  if (node.kind === "symlink") return symlink(node.target, target);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(target, flags, 0o600);
  try {
    for await (const chunk of body) await handle.write(chunk);
    await handle.chmod(node.mode & 0o777);
    await handle.utimes(mtimeSeconds, mtimeSeconds);
  } finally {
    await handle.close();
  }
};

/**
 * Checks an unpacked tree against what was read: only files, directories and symlinks, exactly the tree's paths and
 * sizes, and every symlink resolving (realpath) inside `dest`; then sets directory modes.
 * @throws PRECONDITION naming the first path that differs
 */
const verifyUnpacked = async (file: string, dest: string, summary: ReleaseSummary): Promise<void> => {
  const root = await realpath(dest);
  const mismatch = (path: string, why: string) =>
    new ZopsError("PRECONDITION", `release '${file}' unpacked into '${dest}': '${path}' ${why}`, {
      hint: "the tarball changed while it was read, or something else writes into the staging directory",
    });
  const seen = new Set<string>();
  const walk = async (relative: string): Promise<void> => {
    for (const name of await readdir(relative ? join(dest, relative) : dest)) {
      const path = relative ? `${relative}/${name}` : name;
      const info = await lstat(join(dest, path));
      const node = summary.tree.nodes.get(path);
      seen.add(path);
      if (!node) throw mismatch(path, "is not in the tarball");
      if (info.isDirectory()) {
        if (node.kind !== "directory") throw mismatch(path, `is a directory, the tarball has a ${node.kind}`);
        await walk(path);
        continue;
      }
      if (info.isSymbolicLink()) {
        if (node.kind !== "symlink" || (await readlink(join(dest, path))) !== node.target)
          throw mismatch(path, "is not the symlink the tarball declares");
        const real = await realpath(join(dest, path)).catch(() => undefined);
        if (real !== undefined && real !== root && !real.startsWith(`${root}${sep}`))
          throw mismatch(path, `resolves to '${real}', outside the release`);
        continue;
      }
      if (!info.isFile()) throw mismatch(path, "is not a file, directory or symlink");
      if (node.kind !== "file" || node.size !== info.size)
        throw mismatch(path, `has ${info.size} bytes, the tarball declares ${node.kind === "file" ? node.size : 0}`);
    }
  };
  await walk("");
  for (const path of summary.tree.nodes.keys()) if (!seen.has(path)) throw mismatch(path, "is missing");
  const dirs = [...summary.tree.nodes].filter(([, node]) => node.kind === "directory");
  for (const [path, node] of dirs.reverse())
    if (node.kind === "directory" && !node.implied) await chmod(join(dest, path), (node.mode & 0o777) | 0o700);
};

/**
 * Reads a release tarball without writing anything (see readRelease); keeps the manifest and the files `collect`
 * selects. Memory stays bounded whatever the archive holds.
 * @throws PRECONDITION naming the entry
 */
export const inspectRelease = (
  file: string,
  limits: TarballLimits,
  collect: (path: string) => boolean = (path) => path === MANIFEST_NAME,
): Promise<ReleaseSummary> => readRelease(file, limits, { collect });

/**
 * Unpacks a release tarball into `dest` (created 0700, must not exist) with zops's own filter, then verifies the
 * unpacked tree with lstat/realpath. Not atomic: the caller removes `dest` on failure.
 * @throws PRECONDITION naming the entry or path, DISK_FULL
 */
export const unpackRelease = async (file: string, limits: TarballLimits, dest: string): Promise<ReleaseSummary> => {
  await mkdir(dest, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    throw localWriteError(error, dest);
  });
  const summary = await readRelease(file, limits, { dest });
  await verifyUnpacked(file, dest, summary).catch((error: unknown) => {
    if (error instanceof ZopsError) throw error;
    throw localWriteError(error as NodeJS.ErrnoException, dest);
  });
  return summary;
};
