import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";
import { writeFileAtomic } from "../fsio/atomic-write.js";

/** One row of the conffile table: what zops installed (the shipped, rendered content) last time. */
export interface ConffileRow {
  readonly sha256: string;
  readonly version: string;
}

/** dpkg's `Conffiles:` field for zops: destination (relative to deploy.configDir) -> last shipped version. */
export interface ConffileTable {
  readonly format: 1;
  readonly files: Readonly<Record<string, ConffileRow>>;
}

/** Reads the conffile table; a missing file is an empty table; throws PRECONDITION when it is corrupt. */
export const readConffileTable = async (path: string): Promise<ConffileTable> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { format: 1, files: {} };
    throw error;
  }
  try {
    const table = JSON.parse(text) as ConffileTable;
    if (table.format !== 1 || typeof table.files !== "object") throw new Error("unknown format");
    return table;
  } catch (error) {
    throw new ZopsError("PRECONDITION", `conffile table '${path}' is corrupt: ${(error as Error).message}`, {
      hint: "restore it from a backup, or delete it (every config file is then treated as created locally)",
    });
  }
};

/** Serializes a table (stable key order) for an atomic write. */
export const formatConffileTable = (table: ConffileTable): string => {
  const files = Object.fromEntries(Object.entries(table.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify({ format: 1, files }, null, 2)}\n`;
};

/** Stores a shipped config version under its SHA-256 (idempotent), so later drift reports have the 3-way base. */
export const storeShippedContent = async (store: string, sha256: string, content: Buffer): Promise<void> => {
  await mkdir(store, { recursive: true, mode: 0o700 });
  const path = join(store, sha256);
  const exists = await readFile(path).then(
    () => true,
    () => false,
  );
  if (!exists) await writeFileAtomic(path, content, { mode: 0o600 });
};

/** Reads a stored shipped version, or undefined when it was never stored. */
export const readShippedContent = async (store: string, sha256: string): Promise<Buffer | undefined> =>
  readFile(join(store, sha256)).catch(() => undefined);
