/**
 * Runs `work` over `items` with at most `limit` in flight; resolves with one settled result per item, in order (the one
 * implementation is src/flow/bounded.ts).
 */
export { settleBounded } from "../flow/bounded.js";
