// The one bounded-concurrency mechanism: at most `limit` calls of `work` in flight, items taken in order.

// Runs `work` over the items on `limit` runners (at least one); each runner stops taking items once `stop()` is true.
const runBounded = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> => {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
};

/**
 * Runs `work` over `items` with at most `limit` in flight and resolves with the results in order; after the first
 * error no new item starts, and it rejects with that error once in-flight work settles.
 * @throws the first error `work` threw.
 */
export const mapBounded = async <T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let failure: { error: unknown } | undefined;
  await runBounded(
    items,
    limit,
    async (item, index) => {
      try {
        results[index] = await work(item, index);
      } catch (error) {
        failure ??= { error };
      }
    },
    () => failure !== undefined,
  );
  if (failure) throw failure.error;
  return results;
};

/**
 * Runs `work` over `items` with at most `limit` in flight; after the first error no new item starts.
 * @throws the first error `work` threw, once in-flight work settles.
 */
export const forEachBounded = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> => {
  await mapBounded(items, limit, work);
};

/**
 * Runs `work` over `items` with at most `limit` in flight; resolves with one settled result per item, in order (never
 * rejects).
 */
export const settleBounded = async <T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> => {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  await runBounded(items, limit, async (item, index) => {
    try {
      results[index] = { status: "fulfilled", value: await work(item, index) };
    } catch (reason) {
      results[index] = { status: "rejected", reason };
    }
  });
  return results;
};
