import { setTimeout as sleep } from "node:timers/promises";
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
 * Runs a replayable operation, retrying it after transient errors (isTransient) up to policy.retries times; throws the
 * last error. Aborts the wait when `signal` fires.
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
      if (!isTransient(error) || attempt > policy.retries || signal?.aborted) throw error;
      await sleep(backoffDelay(policy, attempt), undefined, { signal });
    }
  }
};
