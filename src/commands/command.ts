import type { ErrorCode } from "../errors/index.js";
import type { LockKind } from "../lock/command-lock.js";

/** Options every command receives from the global flags. */
export interface GlobalOptions {
  readonly config?: string;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** What a command's `run…` returns; the runner prints it (text, or JSON with --json) and maps `outcome` to a status. */
export interface CommandResult {
  /**
   * How the command ended when it returns a report rather than throwing: undefined or "ok" for success, a name its
   * `meta.exits.outcomes` declares ("warning", "planned", ...), or an error code whose registered status applies
   * ("PARTIAL", "VERIFY_FAILED", ...).
   */
  readonly outcome?: string | ErrorCode;
  /** Human-readable report printed to stdout unless --json. */
  readonly text?: string;
  /** Machine-readable result, printed inside the JSON envelope with --json. */
  readonly json?: unknown;
}

/** How a command's endings map to exit statuses (src/commands/exits.ts holds the policies in use). */
export interface ExitPolicy {
  /** Shown under "Exit status" in `zops --help`; undefined for the registry's statuses alone. */
  readonly help?: string;
  /** Outcomes besides success and error codes, with their statuses. */
  readonly outcomes?: Readonly<Record<string, number>>;
  /** Status of a failure (a thrown error); default: the status registered for its code, INTERNAL's for others. */
  readonly failure?: (error: unknown) => number;
  /** Status of a command-line usage error; default: USAGE's (64). */
  readonly usage?: number;
  /**
   * For a failure that is a normal ending for the operator (wal-fetch of a segment past the end of the archive): the
   * one LOG-style line printed instead of an ERROR, so that log alerting stays quiet; undefined for real errors.
   */
  readonly normalEnd?: (error: unknown) => string | undefined;
}

/** What a command declares beside its `run…` function: the lock the runner takes for it and its exit statuses. */
export interface CommandMeta {
  readonly lock: LockKind | ((options: Readonly<Record<string, unknown>>) => LockKind);
  readonly exits: ExitPolicy;
}
