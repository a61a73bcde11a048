import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { chown, mkdir, open, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { syncPath } from "../fsio/sync.js";
import { openBody } from "./body.js";
import { mapFileError } from "./file-errors.js";
import { assertKey } from "./key.js";
import type {
  GetOptions,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  Storage,
  StorageCapabilities,
} from "./storage.js";

const TEMP_MARK = ".zops-tmp-";
/**
 * Tries of mkdir/open when a concurrent delete keeps pruning the directory (each try loses only to a delete that
 * empties it).
 */
const PRUNE_RACE_ATTEMPTS = 10;

/**
 * Repository in a local or NFS directory. Puts write a temp file, fsync it, rename it
 * over the key and fsync the directory, so two writers never interleave and a crash
 * leaves either the old object or the new one. When running as root, new files and
 * directories take the owner of the repository root, so root (backups) and postgres
 * (wal-push) can both write.
 */
export class FileStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities = {
    atomicPut: true,
    multipart: false,
    localPath: true,
    network: false,
    retriesOwnPuts: false,
  };
  private owner: Promise<{ uid: number; gid: number } | undefined> | undefined;

  constructor(readonly root: string) {
    this.location = `file://${root}`;
  }

  // Absolute path of a key inside the root.
  pathOf(key: string): string {
    return join(this.root, ...assertKey(key).split("/"));
  }

  // Atomic, durable write of the whole body; cleans its temp file on failure.
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    const temp = join(dirname(path), `${TEMP_MARK}${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
      await this.makeDirectories(dirname(path));
      const counter = { size: 0 };
      const output = await this.createTemp(temp);
      const input = openBody(body);
      input.on("data", (chunk: Buffer) => {
        counter.size += chunk.length;
      });
      await pipeline(input, output, { signal: options.signal });
      await syncPath(temp);
      await this.adoptOwner(temp);
      await rename(temp, path);
      await syncPath(dirname(path));
      return { key, size: counter.size };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw mapFileError(error, this.location, key, "write");
    }
  }

  // Opens the file (or a byte range of it) for streaming.
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      const handle = await open(path, "r");
      const { start = 0, end } = options.range ?? {};
      if (end !== undefined && end <= start) {
        await handle.close();
        return Readable.from([]);
      }
      const stream = createReadStream("", { fd: handle, start, end: end === undefined ? undefined : end - 1 });
      // Aborted (the retry wrapper's timeout): end the stream without an error event, which nobody may be listening to
      // any more (an unhandled AbortError would crash the process); a reader still piping sees a premature close.
      const signal = options.signal;
      if (signal) {
        const stop = () => stream.destroy();
        if (signal.aborted) stop();
        else {
          signal.addEventListener("abort", stop, { once: true });
          stream.once("close", () => signal.removeEventListener("abort", stop));
        }
      }
      return stream;
    } catch (error) {
      throw mapFileError(error, this.location, key, "read");
    }
  }

  // Size and modification time, or undefined when the file does not exist.
  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size, modified: info.mtime } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR")
        return undefined;
      throw mapFileError(error, this.location, key, "stat");
    }
  }

  // Walks the directory tree under the prefix, yielding files in key order (temp files excluded).
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const slash = prefix.lastIndexOf("/");
    const base = slash < 0 ? "" : prefix.slice(0, slash);
    yield* this.walk(base === "" ? this.root : join(this.root, ...base.split("/")), prefix);
  }

  private async *walk(directory: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw mapFileError(error, this.location, relative(this.root, directory) || ".", "list");
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_MARK)) continue;
      const path = join(directory, entry.name);
      const key = relative(this.root, path).split(sep).join("/");
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(path, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(path).catch(() => undefined);
        if (info) yield { key, size: info.size, modified: info.mtime };
      }
    }
  }

  // Unlinks each key and removes directories the deletes left empty; missing files are ignored.
  async delete(keys: readonly string[]): Promise<void> {
    const emptied = new Set<string>();
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
        emptied.add(dirname(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw mapFileError(error, this.location, key, "delete");
      }
    }
    for (const directory of [...emptied].sort().reverse()) await this.pruneDirectories(directory);
  }

  // Removes `directory` and its parents up to the root while they are empty (a concurrent put re-creates what it
  // needs).
  private async pruneDirectories(directory: string): Promise<void> {
    for (let path = directory; path.length > this.root.length && path.startsWith(this.root); path = dirname(path)) {
      try {
        await rmdir(path);
      } catch {
        return;
      }
    }
  }

  // Opens the temp file; when a concurrent delete pruned the directory in between, makes it again.
  private async createTemp(temp: string): Promise<WriteStream> {
    const open = () =>
      new Promise<WriteStream>((resolve, reject) => {
        const stream = createWriteStream(temp, { flags: "wx", mode: 0o640 });
        stream.once("open", () => resolve(stream)).once("error", reject);
      });
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await open();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= PRUNE_RACE_ATTEMPTS) throw error;
        await this.makeDirectories(dirname(temp));
      }
    }
  }

  // mkdir -p; a concurrent delete may prune a parent it just made (ENOENT), so it tries again a few times.
  private async makeDirectories(directory: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.makeDirectoriesOnce(directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= PRUNE_RACE_ATTEMPTS) throw error;
      }
    }
  }

  private async makeDirectoriesOnce(directory: string): Promise<void> {
    const first = await mkdir(directory, { recursive: true, mode: 0o750 });
    if (first === undefined) return;
    // Chown every directory mkdir created, from the first new one down.
    let path = directory;
    const created: string[] = [];
    while (path.length >= first.length) {
      created.push(path);
      path = dirname(path);
    }
    for (const dir of created.reverse()) await this.adoptOwner(dir);
  }

  private async adoptOwner(path: string): Promise<void> {
    if (process.getuid?.() !== 0) return;
    this.owner ??= stat(this.root).then(
      (info) => (info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid }),
      () => undefined,
    );
    const owner = await this.owner;
    if (owner) await chown(path, owner.uid, owner.gid);
  }
}
