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

/**
 * Test-only handshake: when `$ZOPS_TEST_PAUSE_AT` is `point:DIR`, creates `DIR/<point>.paused` and waits until the test
 * creates `DIR/<point>.resume`, so a test can act while this process is at `point` without racing it. A no-op
 * otherwise.
 */
export const pausePoint = async (point: string): Promise<void> => {
  const wanted = process.env.ZOPS_TEST_PAUSE_AT;
  if (wanted === undefined) return;
  const split = wanted.indexOf(":");
  if (wanted.slice(0, split) !== point) return;
  const { access, writeFile } = await import("node:fs/promises");
  const dir = wanted.slice(split + 1);
  await writeFile(`${dir}/${point}.paused`, String(process.pid));
  for (;;) {
    if (
      await access(`${dir}/${point}.resume`).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
