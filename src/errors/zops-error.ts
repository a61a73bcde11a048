import { ERROR_CODES, type ErrorCode } from "./codes.js";

export interface ZopsErrorOptions {
  /** What the operator should do about it; printed on a `HINT:` line. */
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable facts for --json output. */
  details?: Record<string, unknown>;
}

/** An error an operator can act on: a stable code, a message naming the thing, and a hint. */
export class ZopsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ZopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ZopsError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The exit status registered for this error's code. */
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** True when `error` is a ZopsError, optionally of one of the given codes. */
export const isZopsError = (error: unknown, ...codes: ErrorCode[]): error is ZopsError =>
  error instanceof ZopsError && (codes.length === 0 || codes.includes(error.code));

/** Returns the message of any thrown value, without a stack. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
