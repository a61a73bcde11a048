import { ZopsError, type ErrorCode, type ZopsErrorOptions } from "../errors/index.js";

/** Makes an error the retry wrapper may retry (network failure, 5xx, throttling, timeout). */
export const transientError = (code: ErrorCode, message: string, options: ZopsErrorOptions = {}): ZopsError =>
  new ZopsError(code, message, { ...options, details: { ...options.details, transient: true } });

/** True for errors a driver marked transient; never for not-found, credential or conflict errors. */
export const isTransient = (error: unknown): boolean => error instanceof ZopsError && error.details?.transient === true;
