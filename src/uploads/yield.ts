import { setImmediate } from "node:timers/promises";

/**
 * Returns a function that, every `n`-th call, waits for the event loop to run pending I/O (keeps uploads moving while
 * synchronous reads run).
 */
export const yieldEvery = (n: number): (() => Promise<void>) => {
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls % n === 0) await setImmediate();
  };
};
