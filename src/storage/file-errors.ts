import { ZopsError, errnoOf } from "../errors/index.js";
import { notFound } from "./key.js";

/** Maps a Node file-system error on `key` to the storage error an operator can act on. */
export const mapFileError = (error: unknown, location: string, key: string, action: string): ZopsError => {
  if (error instanceof ZopsError) return error;
  const code = errnoOf(error) ?? (error as NodeJS.ErrnoException).code;
  const path = (error as NodeJS.ErrnoException).path ?? key;
  switch (code) {
    case "ENOENT":
      return notFound(location, key, error);
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new ZopsError(
        "STORAGE_IO",
        `unable to ${action} '${key}' in repository '${location}': permission denied on '${path}'`,
        {
          hint:
            "make the repository directory writable by the user running " +
            "zops (root for backups, postgres for wal-push), e.g. chown -R " +
            "postgres: on it",
          cause: error,
        },
      );
    case "ENOSPC":
    case "EDQUOT":
      return new ZopsError(
        "DISK_FULL",
        `unable to ${action} '${key}' in repository '${location}': no space left on device`,
        {
          hint: "free space on the repository file system or run `zops expire`; nothing partial was kept",
          cause: error,
        },
      );
    default:
      return new ZopsError(
        "STORAGE_IO",
        `unable to ${action} '${key}' in repository '${location}': ${(error as Error).message}`,
        {
          hint: "check the repository file system (mount, permissions, disk)",
          cause: error,
        },
      );
  }
};
