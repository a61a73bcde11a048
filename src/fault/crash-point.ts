import { appendFileSync } from "node:fs";

/**
 * Test-only fault injection: kills this process with SIGKILL when `$ZOPS_TEST_CRASH_AT` names `point`
 * (`name`, or `name@N` for the N-th time the point is reached); a no-op otherwise. With `$ZOPS_TEST_CRASH_TRACE` set
 * to a file, appends every point reached to it (how a test learns the points it must walk).
 */
export const crashPoint = (point: string): void => {
  const trace = process.env.ZOPS_TEST_CRASH_TRACE;
  if (trace) appendFileSync(trace, `${point}\n`);
  const wanted = process.env.ZOPS_TEST_CRASH_AT;
  if (wanted === undefined) return;
  const [name, nth] = wanted.split("@");
  if (name !== point) return;
  const seen = (reached.get(point) ?? 0) + 1;
  reached.set(point, seen);
  if (seen !== Number(nth ?? 1)) return;
  process.kill(process.pid, "SIGKILL");
};

const reached = new Map<string, number>();
