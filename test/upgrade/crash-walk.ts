import { existsSync } from "node:fs";
import { readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { runUpgrade } from "../../src/commands/upgrade.js";
import { parseConfig } from "../../src/config/index.js";
import { findDrift } from "../../src/deploy/drift-report.js";
import { deployPaths } from "../../src/deploy/paths.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import type { TestCluster } from "../support/postgres.js";
import { createDemoEnv, type DemoEnv, freshCatalog } from "./demo-env.js";

// The crash-point walk: run a command once to learn every crash point it reaches, then for each point start from the
// same state, SIGKILL the command there (ZOPS_TEST_CRASH_AT), recover (`zops rollback` or a re-run of the upgrade)
// and check the invariant: exactly one release current and healthy, the schema equal to that release's migrations,
// every row that existed before still there, configs as that release installed, nothing left over, exit code honest.

export const PRE_ROWS = 1000;

/** A walk environment: a demo env whose service hooks may refuse to start a version, and the CLI config path. */
export interface WalkEnv {
  readonly env: DemoEnv;
  readonly configPath: string;
}

/**
 * A fresh demo environment with `versions` installed in order (in process) and PRE_ROWS rows added after the first;
 * `refuseStart` makes the start hook fail for that version (a failed upgrade that must be rolled back).
 */
export const prepareWalkEnv = async (
  cluster: TestCluster,
  versions: ("v1" | "v2" | "v3")[],
  refuseStart?: string,
): Promise<WalkEnv> => {
  const extra = refuseStart
    ? `service: {start: [sh, -c, 'if [ "$ZOPS_NEW_VERSION" = ${refuseStart} ]; then echo refusing >&2; exit 1; fi; ` +
      `exec "{{node}}" app/demo-ctl.mjs start "{{configDir}}/demo.conf"']}`
    : undefined;
  const env = await createDemoEnv({ cluster, deployExtra: extra });
  const config = parseConfig(await readFile(env.configPath, "utf8"), env.configPath);
  for (const [index, version] of versions.entries()) {
    await runUpgrade(
      { json: true, verbose: false },
      env.releases[version],
      { yes: true },
      { config, catalog: freshCatalog },
    );
    if (index === 0)
      await env.appQuery(`INSERT INTO greetings (text) SELECT 'row-' || g FROM generate_series(1, ${PRE_ROWS}) g`);
  }
  const configPath = join(env.dir, "zops-walk.yml");
  await writeFile(configPath, `${await readFile(env.configPath, "utf8")}  backup: {policy: off}\n`);
  return { env, configPath };
};

const cliEnv = (_walk: WalkEnv, extra: Record<string, string>) => ({ ZOPS_QUIET: "1", ...extra });

/** Runs zops (the built CLI) with the walk config; never throws. */
export const zops = async (walk: WalkEnv, args: string[], extra: Record<string, string> = {}) => {
  const [node = "node", ...bin] = zopsCommand();
  const result = await execa(node, [...bin, "--config", walk.configPath, ...args], {
    reject: false,
    env: cliEnv(walk, extra),
    timeout: 120_000,
  });
  return { exitCode: result.exitCode, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
};

/** Runs `args` once with tracing on; returns the crash points reached, in order, each with its occurrence (`p@N`). */
export const tracePoints = async (walk: WalkEnv, args: string[]): Promise<string[]> => {
  const trace = join(walk.env.dir, "trace.txt");
  await rm(trace, { force: true });
  const result = await zops(walk, args, { ZOPS_TEST_CRASH_TRACE: trace });
  if (result.signal) throw new Error(`traced run died: ${result.signal}`);
  const seen = new Map<string, number>();
  return (await readFile(trace, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((point) => {
      const count = (seen.get(point) ?? 0) + 1;
      seen.set(point, count);
      return `${point}@${count}`;
    });
};

const migrationsOf = async (deployment: string): Promise<string[]> =>
  (await readdir(join(deployment, "migrations")))
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => name.replace(/\.sql$/, ""));

/**
 * Checks the invariant; returns the problems found (empty: it holds) and the version current.
 */
export const checkInvariant = async (walk: WalkEnv): Promise<{ version: string | undefined; problems: string[] }> => {
  const { env } = walk;
  const problems: string[] = [];
  const paths = deployPaths(env.config.deploy);
  const current = join(env.root, "deployments", "current");
  let version: string | undefined;
  try {
    await readlink(current);
    version = JSON.parse(await readFile(join(current, "build.json"), "utf8")).version;
  } catch (error) {
    problems.push(`no current release: ${(error as Error).message}`);
    return { version, problems };
  }
  const health = await env.health();
  if (health?.status !== 200 || health.version !== version)
    problems.push(`current is ${version} but health answered ${JSON.stringify(health)}`);
  const applied = (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map(
    (r) => r.name,
  );
  const shipped = await migrationsOf(current);
  if (JSON.stringify(applied) !== JSON.stringify(shipped))
    problems.push(`schema of ${version}: migrations ${applied.join(",")} applied, release ships ${shipped.join(",")}`);
  const rows = await env.appQuery<{ n: string }>(
    `SELECT count(*)::text AS n FROM greetings WHERE id BETWEEN 2 AND ${PRE_ROWS + 1}`,
  );
  if (Number(rows[0]?.n) !== PRE_ROWS) problems.push(`${rows[0]?.n} of the ${PRE_ROWS} pre-upgrade rows are left`);
  const table = JSON.parse(await readFile(paths.conffileTable, "utf8")) as {
    files: Record<string, { version: string }>;
  };
  const versions = Object.values(table.files).map((row) => row.version);
  if (versions.some((installed) => installed !== version))
    problems.push(`conffile table says ${versions.join(",")} installed the configs, current is ${version}`);
  const drift = await findDrift(paths, false);
  if (drift.some((entry) => entry.state !== "clean")) problems.push(`configs drifted: ${JSON.stringify(drift)}`);
  if (existsSync(paths.journal)) problems.push("the journal is still there");
  if (existsSync(paths.next)) problems.push("next is still there");
  if (existsSync(paths.staging)) problems.push("a staging directory is still there");
  const dumps = await readdir(paths.restorePoints).catch(() => []);
  if (dumps.length) problems.push(`restore points left: ${dumps.join(",")}`);
  const database = env.config.deploy.database.name ?? "";
  const scratch = await env.cluster.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE $1",
    [`${database}_zops_%`],
  );
  if (scratch.length) problems.push(`scratch databases left: ${scratch.map((row) => row.datname).join(",")}`);
  return { version, problems };
};
