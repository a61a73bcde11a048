import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDeployments } from "../../src/commands/deployments.js";
import { runDrift } from "../../src/commands/drift.js";
import { runRollback } from "../../src/commands/rollback.js";
import { runUpgrade } from "../../src/commands/upgrade.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { prepareWalkEnv, tracePoints, type WalkEnv, zops } from "./crash-walk.js";
import { createDemoEnv, type DemoEnv, freshCatalog } from "./demo-env.js";

// Issue 14 item 8 (rollback like upgrade, deployment statuses, --prune), item 6 (drift exit codes, upgrade.log) and
// issue 12 item 9 (a dead run's session holding node-pg-migrate's advisory lock).

const globals = { json: true, verbose: false };
let cluster: TestCluster;
let env: DemoEnv;
const upgrade = (tarball: string, flags: Record<string, unknown> = {}) =>
  runUpgrade(globals, tarball, { yes: true, ...flags }, { config: env.config, catalog: freshCatalog });
const rollback = (flags: Record<string, unknown> = {}) => runRollback(globals, flags, { config: env.config });
const migrations = async () =>
  (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map((row) => row.name);
const statuses = async () =>
  ((await runDeployments(globals, {}, { config: env.config })).json as { version: string; status: string }[]).map(
    (entry) => `${entry.version}:${entry.status}`,
  );

beforeAll(async () => {
  cluster = await startCluster();
  env = await createDemoEnv({ cluster });
  await upgrade(env.releases.v1);
  await upgrade(env.releases.v2);
});
afterAll(async () => {
  await env?.destroy();
  await cluster?.destroy();
});

describe("zops rollback, like zops upgrade", () => {
  it("asks first: without --yes on a non-terminal it refuses and changes nothing", async () => {
    await expect(rollback()).rejects.toMatchObject({
      code: "PRECONDITION",
      message: expect.stringContaining("confirmation"),
    });
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
  });

  it("--plan shows the database plan (exit 2) and writes nothing", async () => {
    const plan = await rollback({ plan: true, migrations: "down" });
    expect(plan.outcome).toBe("planned");
    expect(plan.text).toContain("run the down steps of 002_add-language");
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
  });

  it("--migrations down reverts 002 with its down step and reinstalls v1's configs", async () => {
    const result = await rollback({ yes: true, migrations: "down" });
    expect(result.text).toContain("rolled back demo-app 2.0.0 -> 1.0.0");
    expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
    expect(await migrations()).toEqual(["001_create-greetings"]);
    expect(await readFile(join(env.configDir, "demo.conf"), "utf8")).not.toContain("page_size");
    const drift = await runDrift(globals, {}, { config: env.config });
    expect(drift).toMatchObject({ outcome: "ok", json: { drifted: 0, files: [{ installedVersion: "1.0.0" }] } });
    expect(await statuses()).toEqual(["1.0.0:current", "2.0.0:last"]);
  });

  it("marks the deployment of a failed upgrade 'failed' and the one rolled away from 'rolled back'", async () => {
    await upgrade(env.releases.v2);
    await expect(upgrade(env.releases.v3)).rejects.toMatchObject({ code: "ROLLED_BACK" });
    const listed = await statuses();
    expect(listed).toContain("3.0.0:failed");
    expect(listed).toContain("2.0.0:rolled back");
    expect(listed).toContain("2.0.0:current");
  });

  it("drift exits 2 when a config file drifted, and upgrade.log records the options given, steps once", async () => {
    const conf = join(env.configDir, "demo.conf");
    const original = await readFile(conf, "utf8");
    await writeFile(conf, `${original}# local edit\n`);
    expect((await runDrift(globals, {}, { config: env.config })).outcome).toBe("drifted");
    await writeFile(conf, original);
    const log = await readFile(join(env.root, ".zops", "upgrade.log"), "utf8");
    expect(log).toContain(`zops upgrade ${env.releases.v2} --yes`);
    expect(log).not.toContain("(no options)");
    const failedRun = log.slice(log.lastIndexOf(`zops upgrade ${env.releases.v3}`));
    expect(failedRun.match(/Steps:/g)?.length).toBe(1);
  });

  it("deployments --prune removes abandoned deployments (prepared, then superseded)", async () => {
    await upgrade(env.releases.v3, { restart: false, allowDowngrade: true });
    await upgrade(env.releases.v3, { restart: false, allowDowngrade: true });
    const before = await statuses();
    expect(before).toContain("3.0.0:abandoned");
    expect(before).toContain("3.0.0:next");
    const pruned = (await runDeployments(globals, { prune: true }, { config: env.config })).json as {
      pruned: string[];
    };
    expect(pruned.pruned).toHaveLength(before.filter((entry) => entry.endsWith(":abandoned")).length);
    expect(await statuses()).not.toContain("3.0.0:abandoned");
  });
});

// A release v2.1.0: v2 plus a migration that sleeps `seconds` (its statement is the one a kill interrupts).
const slowRelease = async (walk: WalkEnv, seconds: number): Promise<string> => {
  const work = await mkdtemp(join(tmpdir(), "zops-slow-"));
  try {
    await tar.x({ file: walk.env.releases.v2, cwd: work });
    const top = join(work, "demo-app-2.0.0");
    await writeFile(
      join(top, "migrations", "0025_slow.sql"),
      `-- Up Migration\nSELECT pg_sleep(${seconds});\n\n-- Down Migration\n`,
    );
    const manifest = await readFile(join(top, "zops-release.yml"), "utf8");
    await writeFile(join(top, "zops-release.yml"), manifest.replace("version: 2.0.0", "version: 2.1.0"));
    await writeFile(join(top, "build.json"), '{"name":"demo-app","version":"2.1.0","healthy":true}\n');
    const file = join(walk.env.dir, `slow-${seconds}.tar.gz`);
    await tar.c({ gzip: true, file, cwd: work, portable: true }, ["demo-app-2.0.0"]);
    return file;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};

describe("a run killed while a migration statement runs", () => {
  it("leaves a session holding the migration lock; recovery ends it by its tag and the re-run completes", async () => {
    const probe = await prepareWalkEnv(cluster, ["v1", "v2"]);
    const points = await tracePoints(probe, ["upgrade", await slowRelease(probe, 0), "--yes"]).finally(() =>
      probe.env.destroy(),
    );
    // The statements after BEGIN: 002 is applied already, so the first one is the slow migration's.
    const begun = points.indexOf("upgrade.migrations.begun@1");
    const sleeping = points.slice(begun).find((point) => point.startsWith("upgrade.migrations.statement@"));
    expect(sleeping).toBeDefined();
    const walk = await prepareWalkEnv(cluster, ["v1", "v2"]);
    try {
      const slow = await slowRelease(walk, 120);
      const killed = await zops(walk, ["upgrade", slow, "--yes"], { ZOPS_TEST_CRASH_AT: sleeping ?? "" });
      expect(killed.signal).toBe("SIGKILL");
      const stale = await cluster.query<{ application_name: string }>(
        "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'zops-%' AND state = 'active'",
      );
      expect(stale.length).toBeGreaterThan(0);
      const rerun = await zops(walk, ["upgrade", await slowRelease(walk, 0), "--yes"]);
      expect(rerun.exitCode).toBe(0);
      expect(await walk.env.health()).toEqual({ status: 200, version: "2.1.0" });
      const left = await cluster.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", [
        stale[0]?.application_name,
      ]);
      expect(left).toEqual([]);
    } finally {
      await walk.env.destroy();
    }
  });
});
