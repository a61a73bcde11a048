import { isZopsError } from "../src/errors/index.js";

/** Runs deletions with the repository's readers kept out (withReadersExcluded bound to a lock). */
export type DeletionGuard = <T>(fn: () => Promise<T>) => Promise<T>;

/** What a retention step does when a restore, verify or drill is reading: fail (LOCK_HELD) or skip until next time. */
export type WhileRead = "fail" | "skip";

/**
 * Runs `fn` under `guard` (no guard: directly). Returns undefined when it ran, or the reason it was skipped when a
 * reader holds the repository and `whileRead` is "skip".
 * @throws LOCK_HELD when a reader holds the repository and `whileRead` is "fail"; whatever `fn` throws.
 */
export const deleteUnlessRead = async (
  guard: DeletionGuard | undefined,
  whileRead: WhileRead,
  fn: () => Promise<unknown>,
): Promise<string | undefined> => {
  try {
    await (guard ? guard(fn) : fn());
    return undefined;
  } catch (error) {
    if (whileRead === "skip" && isZopsError(error, "LOCK_HELD") && error.details?.reader)
      return `${error.message}; retention runs again with the next backup`;
    throw error;
  }
};
