import { accessSync, constants, existsSync } from "node:fs";
import { dirname } from "node:path";
import type { ErrorCode } from "./codes.js";
import { ZopsError } from "./zops-error.js";

// The one mapping of errno failures of local files (this machine's disks, not the repository: storage drivers map
// their own) to codes an operator can act on, naming the path.

const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);
const ACCESS = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * The errno code of a failed system call (`ENOSPC`...), or undefined for any other error. Node's recursive mkdir says
 * ENOENT when the file system is read-only or the parent not writable: that case is told by access(2) on the nearest
 * existing ancestor (EROFS, EACCES), one synchronous check on a failure path; otherwise pure.
 */
export const errnoOf = (error: unknown): string | undefined => {
  const failed = error as NodeJS.ErrnoException | undefined;
  const code = failed?.code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  if (code === "ENOENT" && failed?.syscall === "mkdir" && typeof failed.path === "string")
    return unwritableAncestor(failed.path) ?? code;
  return code;
};

// The errno access(2) gives for writing the nearest existing ancestor of `path`, when it is not writable.
const unwritableAncestor = (path: string): string | undefined => {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "EROFS" || code === "EACCES" || code === "EPERM" ? code : undefined;
  }
};

const codeOf = (errno: string): ErrorCode =>
  DISK_FULL.has(errno) ? "DISK_FULL" : ACCESS.has(errno) ? "LOCAL_ACCESS" : "LOCAL_IO";

const reasonOf = (errno: string, error: Error): string =>
  DISK_FULL.has(errno)
    ? "no space left on device"
    : errno === "EROFS"
      ? "read-only file system"
      : ACCESS.has(errno)
        ? "permission denied"
        : error.message.replace(/^E[A-Z0-9]+: /, "").replace(/, \w+ '.*'$/, "");

const hintOf = (errno: string, path: string | undefined): string => {
  const where = path ? `'${path}'` : "the named path";
  if (DISK_FULL.has(errno)) return `free space on the file system holding ${where} (df -h), then run the command again`;
  if (errno === "EROFS") return `${where} is on a read-only file system: remount it read-write or use another path`;
  if (ACCESS.has(errno))
    return `give the user running zops (uid ${process.getuid?.() ?? "?"}) access to ${where}, or use another path`;
  return `check the file system holding ${where} (dmesg, mount options, open-file limits)`;
};

/**
 * The typed error for a local file-system failure while `doing` something ("unable to restore the uploads to
 * '/srv/x'"): ENOSPC/EDQUOT give DISK_FULL, EACCES/EPERM/EROFS LOCAL_ACCESS, any other errno LOCAL_IO, each naming
 * `path` (else the path the system call names) with a hint; details carry errno, syscall and path. A ZopsError or an
 * error without errno is returned unchanged (a bug stays INTERNAL).
 */
export const localError = (error: unknown, doing: string, path?: string): unknown => {
  const errno = errnoOf(error);
  if (error instanceof ZopsError || errno === undefined) return error;
  const failed = error as NodeJS.ErrnoException;
  const at = path ?? failed.path;
  const reason = reasonOf(errno, failed);
  return new ZopsError(codeOf(errno), `${doing}: ${at ? `'${at}': ` : ""}${reason} (${errno})`, {
    hint: hintOf(errno, at),
    cause: error,
    details: { errno, syscall: failed.syscall, path: at },
  });
};

/**
 * Runs `fn`, turning a local file-system failure into its typed error (localError).
 * @throws DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the path; whatever else `fn` throws.
 */
export const withLocalErrors = async <T>(doing: string, path: string | undefined, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (error) {
    throw localError(error, doing, path);
  }
};
