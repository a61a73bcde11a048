import { execa } from "execa";
import { existsSync } from "node:fs";
import { readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDrift } from "../../src/commands/drift.js";
import { runRollback } from "../../src/commands/rollback.js";
import { parseConfig } from "../../src/config/index.js";
import { meta as upgradeMeta, runUpgrade } from "../../src/commands/upgrade.js";
import { resultStatus } from "../../src/commands/exits.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { createDemoEnv, freshCatalog, type DemoEnv } from "./demo-env.js";

const globals = { json: true, verbose: false };
let cluster: TestCluster;
const envs: DemoEnv[] = [];
const newEnv = async () => {
  const env = await createDemoEnv({ cluster });
  envs.push(env);
  return env;
};
const upgradeIn = (env: DemoEnv, tarball: string, flags: Record<string, unknown> = {}) =>
  runUpgrade(globals, tarball, { yes: true, ...flags }, { config: env.config, catalog: freshCatalog });
const pidOf = async (env: DemoEnv) => (await readFile(join(env.root, "shared", "run", "demo.pid"), "utf8")).trim();

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  for (const env of envs) await env.destroy();
  await cluster?.destroy();
});

describe("config drift (dpkg conffile table)", () => {
  it(
    "blocks on a local edit that v2 also changes, before the " +
      "service stops, with a 3-way diff; --config-policy keep keeps it " +
      "and writes .zops-dist",
    async () => {
      const env = await newEnv();
      await upgradeIn(env, env.releases.v1);
      const conf = join(env.configDir, "demo.conf");
      await writeFile(conf, (await readFile(conf, "utf8")).replace("greeting = hello", "greeting = hi from ops"));

      const drift = await runDrift(globals, { diff: true }, { config: env.config });
      expect(drift.json).toMatchObject({
        drifted: 1,
        files: [{ path: conf, state: "edited", installedVersion: "1.0.0" }],
      });
      expect(drift.text).toContain("+greeting = hi from ops");

      const plan = await upgradeIn(env, env.releases.v2, { plan: true });
      expect(resultStatus(upgradeMeta.exits, plan)).toBe(4);
      expect(plan.text).toMatch(/demo\.conf\s+conflict\s+BLOCKED/);
      // The real CLI maps the blocked plan to exit 4 (backup policy off: this env has no repository).
      const cliConfig = join(env.dir, "zops-cli.yml");
      await writeFile(cliConfig, `${await readFile(env.configPath, "utf8")}  backup: {policy: off}\n`);
      const [node = "node", ...bin] = zopsCommand();
      const cli = await execa(node, [...bin, "--config", cliConfig, "upgrade", env.releases.v2, "--plan"], {
        reject: false,
        env: { ZOPS_QUIET: "1" },
      });
      expect(cli.exitCode).toBe(4);
      expect(cli.stdout).toContain("<<<<<<< ");

      const pid = await pidOf(env);
      const deploymentsBefore = await readdir(join(env.root, "deployments"));
      const attempt = upgradeIn(env, env.releases.v2);
      await expect(attempt).rejects.toMatchObject({
        code: "PRECONDITION",
        message: expect.stringContaining("blocked before the service was stopped"),
      });
      const message = (await attempt.catch((error: Error) => error.message)) as string;
      expect(message).toContain("greeting = hi from ops");
      expect(message).toContain("page_size = 20");
      expect(message).toMatch(/====/);
      expect(await pidOf(env)).toBe(pid);
      expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
      expect(await readdir(join(env.root, "deployments"))).toEqual(deploymentsBefore);
      expect(await readFile(conf, "utf8")).toContain("greeting = hi from ops");

      const kept = await upgradeIn(env, env.releases.v2, { configPolicy: "keep" });
      expect(kept.text).toContain("conflict, keep-write-dist");
      expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
      const local = await readFile(conf, "utf8");
      expect(local).toContain("greeting = hi from ops");
      expect(local).not.toContain("page_size");
      const dist = await readFile(`${conf}.zops-dist`, "utf8");
      expect(dist).toContain("page_size = 20");
      expect(dist).toContain("greeting = hello");
      // The baseline advanced to v2's shipped file (dpkg does the same), so the edit still shows as drift.
      expect((await runDrift(globals, {}, { config: env.config })).json).toMatchObject({
        drifted: 1,
        files: [{ state: "edited", installedVersion: "2.0.0" }],
      });
    },
  );
});

describe("an upgrade killed inside the critical section", () => {
  it("is rolled back by the re-run (stale lock recovered), which then completes to a consistent state", async () => {
    const env = await newEnv();
    await upgradeIn(env, env.releases.v1);
    const mark = join(env.dir, "inside-critical-section");
    const killConfig = join(env.dir, "zops-kill.yml");
    await writeFile(
      killConfig,
      `${await readFile(env.configPath, "utf8")}  service: {start: [sh, -c, "touch ${mark}; sleep 60"]}\n`,
    );
    const [node = "node", ...bin] = zopsCommand();
    const child = execa(node, [...bin, "--config", killConfig, "upgrade", env.releases.v2, "--yes"], {
      detached: true,
      reject: false,
      env: { ZOPS_QUIET: "1" },
    });
    for (let waited = 0; !existsSync(mark) && waited < 60_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(mark)).toBe(true);
    process.kill(-(child.pid ?? 0), "SIGKILL");
    expect((await child).signal).toBe("SIGKILL");
    // Killed after stop, configs, migration and switch: the journal and the dead process's lock remain.
    expect(existsSync(join(env.root, ".zops", "journal.json"))).toBe(true);
    expect(existsSync(join(env.root, ".zops", "upgrade.lock"))).toBe(true);
    expect(
      (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map((row) => row.name),
    ).toContain("002_add-language");

    const result = await upgradeIn(env, env.releases.v2);
    expect(result.text).toContain("recovered a stale lock");
    expect(result.text).toMatch(/interrupted in its critical section: rolled back to 1\.0\.0/);
    const log = await readFile(join(env.root, ".zops", "upgrade.log"), "utf8");
    expect(log).toContain("reverted migrations 002_add-language");
    expect(log).toMatch(/old release 1\.0\.0 started and healthy/);
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
    expect(
      (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map((row) => row.name),
    ).toEqual(["001_create-greetings", "002_add-language"]);
    expect(JSON.parse(await readFile(join(env.root, "deployments", "current", "build.json"), "utf8")).version).toBe(
      "2.0.0",
    );
    expect(await readlink(join(env.root, "deployments", "last"))).not.toBe(
      await readlink(join(env.root, "deployments", "current")),
    );
    expect(existsSync(join(env.root, ".zops", "journal.json"))).toBe(false);
    expect((await runDrift(globals, {}, { config: env.config })).json).toMatchObject({ drifted: 0 });
    expect((await readdir(env.configDir)).filter((name) => name.includes("zops-tmp"))).toEqual([]);
  });
});

describe("a rollback that cannot complete", () => {
  it("exits 9 (ROLLBACK_FAILED) keeping the journal; zops rollback finishes once the cause is fixed", async () => {
    const env = await newEnv();
    await upgradeIn(env, env.releases.v1);
    await upgradeIn(env, env.releases.v2);
    // A start command that refuses to bring 2.0.0 back after 3.0.0 (the rollback's restart).
    const ctl = `"${process.execPath}" app/demo-ctl.mjs start ${join(env.configDir, "demo.conf")}`;
    const broken =
      `${await readFile(env.configPath, "utf8")}  service: {start: ` +
      `[sh, -c, 'if [ "$ZOPS_OLD_VERSION" = 3.0.0 ]; then echo ` +
      `refusing >&2; exit 1; fi; exec ${ctl}']}\n`;
    const brokenConfig = parseConfig(broken, "broken.yml");
    const attempt = runUpgrade(
      globals,
      env.releases.v3,
      { yes: true },
      { config: brokenConfig, catalog: freshCatalog },
    );
    await expect(attempt).rejects.toMatchObject({
      code: "ROLLBACK_FAILED",
      exitCode: 9,
      message: expect.stringContaining("refusing"),
    });
    expect(existsSync(join(env.root, ".zops", "journal.json"))).toBe(true);
    expect(await env.health()).toBeUndefined();

    const fixed = await runRollback(globals, { yes: true }, { config: env.config });
    expect(fixed.text).toContain("rolled back the interrupted upgrade 2.0.0 -> 3.0.0");
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
    expect(
      (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map((row) => row.name),
    ).toEqual(["001_create-greetings", "002_add-language"]);
    expect(await env.appQuery("SELECT text FROM greetings")).toEqual([{ text: "hello" }]);
    expect(existsSync(join(env.root, ".zops", "journal.json"))).toBe(false);
  });
});
