import { setTimeout as sleep } from "node:timers/promises";
import { ZopsError } from "../errors/index.js";
import { isTransient } from "./transient.js";

/** How often and how patiently transient failures are retried (the `storage:` config section). */
export interface RetryPolicy {
  /** Extra attempts after the first. */
  readonly retries: number;
  /** First delay; doubles per attempt, capped at 30 s. */
  readonly retryDelayMs: number;
}

const MAX_DELAY_MS = 30_000;

/** Backoff before attempt `attempt + 1`: exponential, capped, with jitter (half fixed, half random). */
export const backoffDelay = (policy: RetryPolicy, attempt: number): number => {
  const nominal = Math.min(policy.retryDelayMs * 2 ** (attempt - 1), MAX_DELAY_MS);
  return nominal / 2 + Math.random() * (nominal / 2);
};

/**
 * The error an operation gave up with after `attempts` tries: the same code and hint, the message saying how many
 * attempts ran, `details.attempts` set. Errors that are not ZopsErrors pass through. Pure.
 */
export const gaveUpAfter = (error: unknown, attempts: number): unknown =>
  error instanceof ZopsError
    ? new ZopsError(error.code, `${error.message} (gave up after ${attempts} attempts)`, {
        hint: error.hint,
        cause: error,
        details: { ...error.details, attempts },
      })
    : error;

/**
 * Runs a replayable operation, retrying it after transient errors (isTransient) up to policy.retries times; throws the
 * last error, saying how many attempts ran when there was more than one. Aborts the wait when `signal` fires.
 */
export const retryTransient = async <T>(
  policy: RetryPolicy,
  operation: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error) || attempt > policy.retries || signal?.aborted)
        throw attempt > 1 ? gaveUpAfter(error, attempt) : error;
      await sleep(backoffDelay(policy, attempt), undefined, { signal });
    }
  }
};
