/**
 * Runs `work` over `items` with at most `limit` in flight and resolves with the results in order; rejects with the
 * first error after in-flight work settles (the one implementation is src/flow/bounded.ts).
 */
export { mapBounded as mapLimit } from "../flow/bounded.js";
