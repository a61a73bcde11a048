// The one registry of zops error codes. Exit codes are stable: scripts and monitoring depend on them.

export interface ErrorCodeInfo {
  /** Process exit status when this error ends a command (src/commands/runner.ts). */
  readonly exit: number;
  /** One-line meaning, printed by `zops --help`. */
  readonly summary: string;
}

export const ERROR_CODES = {
  INTERNAL: { exit: 1, summary: "unexpected failure (a bug: run with --verbose and report it)" },
  USAGE: { exit: 64, summary: "bad command-line usage (EX_USAGE)" },
  CONFIG_INVALID: { exit: 3, summary: "configuration file missing or invalid" },
  PRECONDITION: { exit: 4, summary: "refused before changing anything (blocked upgrade, non-empty target, bad input)" },
  LOCK_HELD: { exit: 5, summary: "another zops process holds the lock" },
  STORAGE_UNREACHABLE: { exit: 6, summary: "repository storage unreachable, timed out or refused access" },
  STORAGE_NOT_FOUND: { exit: 6, summary: "an object expected in the repository is missing" },
  STORAGE_CONFLICT: { exit: 6, summary: "an object exists with different content; nothing was overwritten" },
  STORAGE_IO: { exit: 6, summary: "repository storage read or write failed" },
  VERIFY_FAILED: { exit: 7, summary: "verification failed: checksum mismatch, corrupt object or WAL gap" },
  ROLLED_BACK: { exit: 8, summary: "upgrade failed (health check or step) and was rolled back" },
  ROLLBACK_FAILED: { exit: 9, summary: "upgrade failed and could NOT be rolled back: manual action needed" },
  REPO_INVALID: { exit: 10, summary: "repository missing, foreign, of another cluster or of an unknown format" },
  POSTGRES: { exit: 11, summary: "PostgreSQL unreachable or returned an error" },
  NOT_FOUND: { exit: 12, summary: "the named backup, deployment or file does not exist" },
  PARTIAL: { exit: 13, summary: "some parts of the job failed; the report names them" },
  DISK_FULL: { exit: 14, summary: "not enough free disk space" },
  LOCAL_ACCESS: {
    exit: 15,
    summary: "a local file or directory could not be read or written: permission denied or read-only file system",
  },
  LOCAL_IO: { exit: 16, summary: "a local file-system operation failed (I/O error, too many open files, ...)" },
  INTERRUPTED: { exit: 130, summary: "interrupted by a signal" },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Returns the exit status registered for a code (pure). */
export const exitCodeFor = (code: ErrorCode): number => ERROR_CODES[code].exit;
