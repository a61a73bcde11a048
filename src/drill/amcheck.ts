import { access } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { newPgClient } from "../pg/connect.js";
import { ZopsError } from "../errors/index.js";
import { run } from "../exec/run.js";
import type { OsUser } from "../pg/os-user.js";

// amcheck per PostgreSQL major. 14 and later: the pg_amcheck tool (heap and B-tree, --heapallindexed). 13 has no
// pg_amcheck, and its amcheck extension (1.2) has no verify_heapam: the B-tree indexes are checked with
// bt_index_check(index, heapallindexed => true), which also proves every heap tuple is indexed, and the heap check
// itself is reported as skipped with the reason, never as failed.

/** How a drill checks the restored cluster. */
export type AmcheckPlan =
  | { readonly kind: "pg_amcheck"; readonly tool: string }
  | { readonly kind: "functions"; readonly heapSkipped: string };

/** Outcome of amcheck over every database of a cluster. */
export interface AmcheckResult {
  readonly ok: boolean;
  /** The report of corruption or failure (empty when clean). */
  readonly output: string;
  /** What was checked, for the drill report. */
  readonly checked: string;
  /** Why the heap check was skipped (PostgreSQL 13). */
  readonly heapSkipped?: string;
}

const isExecutable = (path: string): Promise<boolean> =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * Decides how to check a cluster of PostgreSQL `major` whose server binaries are in `binDir`, before anything is
 * restored. Read-only.
 * @throws PRECONDITION naming the tool when pg_amcheck (14 and later) is missing.
 */
export const planAmcheck = async (binDir: string, major: number): Promise<AmcheckPlan> => {
  if (major < 14)
    return {
      kind: "functions",
      heapSkipped: `PostgreSQL ${major}'s amcheck has no verify_heapam (heap checks arrived in 14)`,
    };
  const tool = join(binDir, "pg_amcheck");
  if (await isExecutable(tool)) return { kind: "pg_amcheck", tool };
  throw new ZopsError("PRECONDITION", `the drill needs pg_amcheck, and '${tool}' is not an executable file`, {
    hint:
      `install PostgreSQL ${major}'s client tools (apt-get install postgresql-client-${major}) or set ` +
      `postgres.binDirs.${major} to a directory holding pg_amcheck`,
  });
};

/**
 * Checks every database of the cluster at `socketDir`:`port` (installing the amcheck extension where missing): with
 * pg_amcheck as `runAs`, or with the extension's functions. Never throws for corruption, only reports it.
 */
export const runAmcheck = async (
  plan: AmcheckPlan,
  socketDir: string,
  port: number,
  runAs: OsUser | undefined,
  timeoutMs = 3_600_000,
): Promise<AmcheckResult> => {
  if (plan.kind === "functions") return checkWithFunctions(socketDir, port, plan.heapSkipped);
  const args = ["--all", "--install-missing", "--heapallindexed", "--host", socketDir, "--port", String(port)];
  const result = await run(plan.tool, [...args, "--username", "postgres"], {
    uid: runAs?.uid,
    gid: runAs?.gid,
    reject: false,
    timeoutMs,
  });
  const output = [result.stdout, result.stderr].filter(Boolean).join("\n").trim();
  const checked = "heap and B-tree indexes of every database (pg_amcheck --heapallindexed)";
  if (!result.failed) return { ok: true, output: "", checked };
  const why =
    result.exitCode === undefined
      ? `pg_amcheck could not run${result.timedOut ? ` within ${Math.round(timeoutMs / 1000)} s` : ""}`
      : `pg_amcheck exited with ${result.exitCode}`;
  return { ok: false, output: output ? `${why}: ${output}` : why, checked };
};

// PostgreSQL 13: bt_index_check(heapallindexed) on every valid B-tree index of every connectable database.
const checkWithFunctions = async (socketDir: string, port: number, heapSkipped: string): Promise<AmcheckResult> => {
  const connect = async (database: string) => {
    const client = newPgClient({ host: socketDir, port, user: "postgres", database });
    await client.connect();
    return client;
  };
  const problems: string[] = [];
  let indexes = 0;
  const main = await connect("postgres");
  let databases: string[];
  try {
    databases = (
      await main.query<{ name: string }>("select datname as name from pg_database where datallowconn order by 1")
    ).rows.map((row) => row.name);
  } finally {
    await main.end().catch(() => undefined);
  }
  for (const database of databases) {
    const client = await connect(database);
    try {
      await client.query("create extension if not exists amcheck");
      const rows = (
        await client.query<{ oid: number; name: string }>(
          "select c.oid::int as oid, c.oid::regclass::text as name from pg_index i " +
            "join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam " +
            "where a.amname = 'btree' and i.indisvalid and i.indisready and c.relpersistence <> 't' order by 1",
        )
      ).rows;
      for (const row of rows) {
        indexes += 1;
        await client.query("select bt_index_check($1::oid::regclass, true)", [row.oid]).catch((error: unknown) => {
          problems.push(`${database}.${row.name}: ${(error as Error).message}`);
        });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const checked =
    `${indexes} B-tree indexes in ${databases.length} databases (bt_index_check with heapallindexed); ` +
    `heap: skipped: ${heapSkipped}`;
  return { ok: problems.length === 0, output: problems.join("\n"), checked, heapSkipped };
};
