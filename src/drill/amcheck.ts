import { join } from "node:path";
import { run } from "../exec/run.js";
import type { OsUser } from "../pg/os-user.js";

/** Outcome of pg_amcheck over every database of a cluster. */
export interface AmcheckResult {
  readonly ok: boolean;
  /** pg_amcheck's report of corruption or failure (empty when clean). */
  readonly output: string;
}

/**
 * Runs pg_amcheck on all databases (heap and B-tree indexes, installing the amcheck extension where missing) as
 * `runAs`; never throws for corruption, only reports it.
 */
export const runAmcheck = async (
  binDir: string,
  socketDir: string,
  port: number,
  runAs: OsUser | undefined,
  timeoutMs = 3_600_000,
): Promise<AmcheckResult> => {
  const result = await run(
    join(binDir, "pg_amcheck"),
    [
      "--all",
      "--install-missing",
      "--heapallindexed",
      "--host",
      socketDir,
      "--port",
      String(port),
      "--username",
      "postgres",
    ],
    {
      uid: runAs?.uid,
      gid: runAs?.gid,
      reject: false,
      timeoutMs,
    },
  );
  const output = [result.stdout, result.stderr].filter(Boolean).join("\n").trim();
  return { ok: !result.failed, output: result.failed ? output || `pg_amcheck exited with ${result.exitCode}` : "" };
};
