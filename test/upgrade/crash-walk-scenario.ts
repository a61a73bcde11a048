import type { TestCluster } from "../support/postgres.js";
import { checkInvariant, prepareWalkEnv, tracePoints, type WalkEnv, zops } from "./crash-walk.js";

/** One walked command: the state before it, the command, and what a re-run after recovery must end with. */
export interface Scenario {
  readonly pre: ("v1" | "v2" | "v3")[];
  readonly refuseStart?: string;
  readonly command: (walk: WalkEnv) => string[];
  readonly rerun: (walk: WalkEnv) => string[];
  readonly rerunOutcome: { exit: number; version: string };
}

/**
 * Walks every crash point of a scenario twice (recover with `zops rollback --migrations down`, and with the re-run);
 * throws listing every point where the invariant or the exit code was wrong. Returns the number of points.
 */
export const walkScenario = async (cluster: TestCluster, scenario: Scenario): Promise<number> => {
  const tracer = await prepareWalkEnv(cluster, scenario.pre, scenario.refuseStart);
  let points: string[];
  try {
    points = await tracePoints(tracer, scenario.command(tracer));
  } finally {
    await tracer.env.destroy();
  }
  const failures: string[] = [];
  const only = process.env.ZOPS_WALK_ONLY;
  for (const point of points.filter((name) => !only || name.startsWith(only))) {
    for (const mode of ["rollback", "rerun"] as const) {
      const walk = await prepareWalkEnv(cluster, scenario.pre, scenario.refuseStart);
      try {
        const killed = await zops(walk, scenario.command(walk), { ZOPS_TEST_CRASH_AT: point });
        if (killed.signal !== "SIGKILL") failures.push(`${point}: not killed (exit ${killed.exitCode})`);
        const recovery = await zops(
          walk,
          mode === "rollback" ? ["rollback", "--yes", "--migrations", "down"] : scenario.rerun(walk),
        );
        const { version, problems } = await checkInvariant(walk);
        const honest =
          mode === "rollback"
            ? recovery.exitCode === 0 ||
              (recovery.exitCode === 4 && /blocked/.test(recovery.stderr)) ||
              (recovery.exitCode === 12 && /no deployment to roll back to/.test(recovery.stderr))
            : recovery.exitCode === scenario.rerunOutcome.exit && version === scenario.rerunOutcome.version;
        if (!honest)
          problems.push(`exit ${recovery.exitCode} with ${version} current: ${recovery.stderr.slice(0, 400)}`);
        for (const problem of problems) {
          failures.push(`${point} then ${mode}: ${problem}`);
          console.log(`crash walk: ${point} then ${mode}: ${problem}`);
        }
      } finally {
        await walk.env.destroy();
      }
    }
  }
  if (failures.length) throw new Error(`the invariant broke at ${failures.length} point(s):\n${failures.join("\n")}`);
  return points.length;
};
