import { basename, dirname, resolve } from "node:path";

/**
 * The data directory a WAL path belongs to: `<dataDir>/pg_wal/<file>` gives `<dataDir>` (archive_command and
 * restore_command run with the data directory as working directory and a relative %p); undefined for a path elsewhere.
 * Pure apart from process.cwd(); does not follow a symlinked pg_wal.
 */
export const dataDirOfWalPath = (walPath: string): string | undefined => {
  const directory = dirname(resolve(walPath));
  return basename(directory) === "pg_wal" ? dirname(directory) : undefined;
};
