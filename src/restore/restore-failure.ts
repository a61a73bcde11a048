import type { UnpackProblem } from "../backup/pieces.js";
import { ZopsError, errnoOf, localError } from "../errors/index.js";

// Why a restore failed, told apart so the hint sends the operator to the right fix: this machine's disk (full, no
// permission, I/O), the storage (unreachable, timed out, an object missing) or the backup itself (damaged data, the
// only case where restoring another backup is the fix).

/** One thing that went wrong restoring one object: a damaged piece, a local write, or the object's read. */
export interface RestoreProblem extends UnpackProblem {
  /** The object could not be read: the storage's error, or the pool thread's for a file repository. */
  readonly readError?: unknown;
  /** The object key the problem is about. */
  readonly key?: string;
}

/** What the failure message names. */
export interface RestoreFailureContext {
  readonly backupId: string;
  readonly dir: string;
  /** Bytes this restore writes in all (said when the disk is full). */
  readonly neededBytes: number;
}

type Class = "local" | "storage" | "damaged";

const STORAGE_CODES = new Set(["STORAGE_UNREACHABLE", "STORAGE_NOT_FOUND", "STORAGE_IO", "REPO_INVALID"]);

const classOf = (problem: RestoreProblem): Class => {
  if (problem.local) return "local";
  if (problem.readError === undefined) return "damaged";
  const error = problem.readError;
  if (error instanceof ZopsError) return STORAGE_CODES.has(error.code) ? "storage" : "damaged";
  return errnoOf(error) ? "storage" : "damaged";
};

const more = (count: number): string => (count > 1 ? ` (and ${count - 1} more problems)` : "");

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

// This machine's disk: DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the file, with the space the restore needs.
const localFailure = (problem: RestoreProblem, count: number, context: RestoreFailureContext): ZopsError => {
  const local = problem.local as NonNullable<RestoreProblem["local"]>;
  const cause = Object.assign(new Error(problem.message), {
    code: local.errno,
    syscall: local.syscall,
    path: local.absolute,
  });
  const mapped = localError(cause, `restore of backup ${context.backupId} into '${context.dir}'`) as ZopsError;
  const needs = mapped.code === "DISK_FULL" ? `; this restore writes ${gib(context.neededBytes)} in all` : "";
  return new ZopsError(mapped.code, `${mapped.message}${needs}${more(count)}`, {
    hint: mapped.hint,
    cause,
    details: { ...mapped.details, neededBytes: context.neededBytes },
  });
};

// The storage: its own code; a missing object says so with its own hint, a thread's errno on a file repository is
// STORAGE_NOT_FOUND (ENOENT) or STORAGE_IO.
const storageFailure = (problem: RestoreProblem, count: number, context: RestoreFailureContext): ZopsError => {
  const error = problem.readError;
  const errno = errnoOf(error);
  const code =
    error instanceof ZopsError
      ? error.code
      : errno === "ENOENT" || errno === "ENOTDIR"
        ? "STORAGE_NOT_FOUND"
        : "STORAGE_IO";
  const object = problem.key ? `object '${problem.key}'` : "an object";
  const message =
    `restore of backup ${context.backupId} failed: ${object} (holding '${problem.path}') could not be read: ` +
    `${(error as Error).message}${more(count)}`;
  const hint =
    code === "STORAGE_NOT_FOUND"
      ? `${object} of backup ${context.backupId} is gone from the repository (deleted while or before it was read: ` +
        "an expire on another host, a bucket lifecycle rule, a manual delete); find what deletes it, then restore a " +
        "backup `zops backups` lists"
      : error instanceof ZopsError && error.hint
        ? `${error.hint}; then run the restore again (--delta keeps what is already written)`
        : "check that the repository is reachable and readable, then run the restore again (--delta keeps what is " +
          "already written)";
  return new ZopsError(code, message, {
    hint,
    cause: error,
    details: { ...(error instanceof ZopsError ? error.details : { errno }), key: problem.key },
  });
};

/**
 * The one error a failed restore ends with, by the first problem of the most telling class: this machine's disk
 * (DISK_FULL naming the file and the space the restore needs, LOCAL_ACCESS, LOCAL_IO), then the storage (its code:
 * STORAGE_UNREACHABLE, STORAGE_NOT_FOUND for an object missing, STORAGE_IO), then damaged data (VERIFY_FAILED, the
 * only one whose hint is to verify and restore another backup). Details list every problem. Pure.
 */
export const restoreFailure = (problems: readonly RestoreProblem[], context: RestoreFailureContext): ZopsError => {
  const files = [...new Set(problems.map((problem) => problem.path).filter((path): path is string => !!path))];
  const all = { files, problems: problems.map((problem) => problem.message) };
  const firstOf = (kind: Class) => problems.filter((problem) => classOf(problem) === kind);
  const local = firstOf("local");
  const storage = firstOf("storage");
  const failure =
    local[0] !== undefined
      ? localFailure(local[0], problems.length, context)
      : storage[0] !== undefined
        ? storageFailure(storage[0], problems.length, context)
        : undefined;
  if (failure)
    return new ZopsError(failure.code, failure.message, {
      hint: failure.hint,
      cause: failure.cause,
      details: { ...failure.details, ...all },
    });
  return new ZopsError(
    "VERIFY_FAILED",
    `restore of backup ${context.backupId} failed: ${problems[0]?.message}${more(problems.length)}`,
    { hint: "the repository copy is damaged: run `zops verify` and restore another backup", details: all },
  );
};
