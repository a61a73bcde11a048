import { readFile, readlink, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDeployments } from "../../src/commands/deployments.js";
import { runRollback } from "../../src/commands/rollback.js";
import { meta as upgradeMeta, runUpgrade } from "../../src/commands/upgrade.js";
import { resultStatus } from "../../src/commands/exits.js";
import { deployPaths } from "../../src/deploy/paths.js";
import { acquireLock } from "../../src/lock/lock-file.js";
import { createDemoEnv, freshCatalog, type DemoEnv } from "./demo-env.js";
import { snapshotTree } from "./tree.js";

const globals = { json: true, verbose: false };
let env: DemoEnv;
const upgrade = (tarball: string, flags: Record<string, unknown> = {}) =>
  runUpgrade(globals, tarball, { yes: true, ...flags }, { config: env.config, catalog: freshCatalog });
const currentVersion = async () =>
  JSON.parse(await readFile(join(env.root, "deployments", "current", "build.json"), "utf8")).version as string;
const tables = async () =>
  (
    await env.appQuery<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
  ).map((row) => row.table_name);

beforeAll(async () => {
  env = await createDemoEnv();
});
afterAll(() => env?.destroy());

describe("zops upgrade of the demo application", () => {
  it("installs v1 onto an empty root: config rendered, migration run, service healthy", async () => {
    const result = await upgrade(env.releases.v1);
    expect(resultStatus(upgradeMeta.exits, result)).toBe(0);
    expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
    expect(await readFile(join(env.configDir, "demo.conf"), "utf8")).toContain(`port = ${env.port}`);
    expect((await stat(join(env.configDir, "demo.conf"))).mode & 0o777).toBe(0o640);
    expect(await tables()).toContain("greetings");
  });

  it("--plan for v2 lists the changes, exits 2 and writes nothing", async () => {
    const before = [await snapshotTree(env.root), await snapshotTree(env.configDir)];
    const result = await upgrade(env.releases.v2, { plan: true, yes: false });
    expect(resultStatus(upgradeMeta.exits, result)).toBe(2);
    expect(result.text).toMatch(/demo\.conf\s+upgrade\s+install/);
    expect(result.text).toContain("Migrations pending: 002_add-language");
    expect(result.text).toMatch(/stop 1\.0\.0: .*demo-ctl\.mjs stop/);
    expect(result.text).toMatch(/Disk: .* needed/);
    expect([await snapshotTree(env.root), await snapshotTree(env.configDir)]).toEqual(before);
    expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
  });

  it("upgrades v1 -> v2: migration applied, current -> v2, service answers v2, downtime printed", async () => {
    const v1Deployment = await readlink(join(env.root, "deployments", "current"));
    const result = await upgrade(env.releases.v2);
    expect(result.text).toMatch(/downtime: [\d.]+ (ms|s) \(stop to healthy\)/);
    expect(result.text).toMatch(/Run migrations\s+\d/);
    expect(result.json).toMatchObject({ from: "1.0.0", to: "2.0.0", migrations: ["002_add-language"] });
    expect((result.json as { downtimeMs: number }).downtimeMs).toBeGreaterThan(0);
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
    expect(await currentVersion()).toBe("2.0.0");
    expect(await readlink(join(env.root, "deployments", "last"))).toBe(v1Deployment);
    expect(await env.appQuery("SELECT text, language FROM greetings")).toEqual([{ text: "hello", language: "en" }]);
    expect(await readFile(join(env.configDir, "demo.conf"), "utf8")).toContain("page_size = 20");
    expect(await readFile(join(env.root, ".zops", "upgrade.log"), "utf8")).toMatch(
      /upgraded demo-app 1\.0\.0 -> 2\.0\.0/,
    );
  });

  it(
    "v3 fails its health check: rolled back automatically (exit 8), " +
      "v2 answers, v3's migration undone, configs as before",
    async () => {
      const config = await readFile(join(env.configDir, "demo.conf"));
      const table = await readFile(join(env.root, ".zops", "conffiles.json"));
      const current = await readlink(join(env.root, "deployments", "current"));
      const last = await readlink(join(env.root, "deployments", "last"));
      const attempt = upgrade(env.releases.v3);
      await expect(attempt).rejects.toMatchObject({
        code: "ROLLED_BACK",
        exitCode: 8,
        message: expect.stringContaining("HTTP 503"),
      });
      expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
      expect(await tables()).not.toContain("greeting_audit");
      expect(await env.appQuery("SELECT text FROM greetings")).toEqual([{ text: "hello" }]);
      expect(
        (await env.appQuery<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).map((row) => row.name),
      ).toEqual(["001_create-greetings", "002_add-language"]);
      expect(await readFile(join(env.configDir, "demo.conf"))).toEqual(config);
      expect(await readFile(join(env.root, ".zops", "conffiles.json"))).toEqual(table);
      expect(await readlink(join(env.root, "deployments", "current"))).toBe(current);
      expect(await readlink(join(env.root, "deployments", "last"))).toBe(last);
      await expect(stat(join(env.root, ".zops", "journal.json"))).rejects.toThrow();
      expect(await readFile(join(env.root, ".zops", "upgrade.log"), "utf8")).toMatch(/restored from the restore point/);
    },
  );

  it("refuses a downgrade unless --allow-downgrade, and says nothing to do for the current version", async () => {
    const plan = await upgrade(env.releases.v1, { plan: true });
    expect(resultStatus(upgradeMeta.exits, plan)).toBe(4);
    expect(plan.text).toContain("older than the current 2.0.0");
    await expect(upgrade(env.releases.v1)).rejects.toMatchObject({ code: "PRECONDITION", exitCode: 4 });
    expect(resultStatus(upgradeMeta.exits, await upgrade(env.releases.v2, { plan: true }))).toBe(0);
    expect((await upgrade(env.releases.v2)).text).toContain("already current");
    expect(await env.health()).toEqual({ status: 200, version: "2.0.0" });
  });

  it("refuses a concurrent upgrade naming the holder, and recovers a stale lock with a message", async () => {
    const paths = deployPaths(env.config.deploy);
    const holder = await acquireLock(paths.lock, "zops upgrade other.tar.gz");
    try {
      await expect(upgrade(env.releases.v2)).rejects.toMatchObject({
        code: "LOCK_HELD",
        message: expect.stringContaining(`'zops upgrade other.tar.gz' (pid ${process.pid} on ${hostname()}`),
      });
      expect(resultStatus(upgradeMeta.exits, await upgrade(env.releases.v2, { plan: true }))).toBe(4);
    } finally {
      await holder.release();
    }
    await writeFile(
      paths.lock,
      JSON.stringify({
        pid: 2 ** 22 + 4321,
        host: hostname(),
        startedAt: "2026-01-01T00:00:00.000Z",
        command: "zops upgrade crashed.tar.gz",
      }),
    );
    const result = await upgrade(env.releases.v2);
    expect(result.text).toContain("recovered a stale lock of 'zops upgrade crashed.tar.gz' (pid 4198625");
  });

  it("zops rollback switches back to v1 (warning about v2's migration); deployments marks current, last", async () => {
    const result = await runRollback(globals, { yes: true }, { config: env.config });
    expect(result.text).toContain("rolled back demo-app 2.0.0 -> 1.0.0");
    expect(result.text).toContain("002_add-language");
    expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
    const listed = (await runDeployments(globals, {}, { config: env.config })).json as {
      name: string;
      version: string;
      marks: string[];
    }[];
    expect(listed.find((entry) => entry.marks.includes("current"))?.version).toBe("1.0.0");
    expect(listed.find((entry) => entry.marks.includes("last"))?.version).toBe("2.0.0");
    expect(basename(await readlink(join(env.root, "deployments", "current")))).toBe(
      listed.find((entry) => entry.marks.includes("current"))?.name,
    );
  });

  it("--no-restart unpacks and points next, leaving the running release alone", async () => {
    const current = await readlink(join(env.root, "deployments", "current"));
    const result = await upgrade(env.releases.v2, { restart: false, allowDowngrade: true });
    expect(result.text).toContain("as next");
    expect(await readlink(join(env.root, "deployments", "current"))).toBe(current);
    expect(JSON.parse(await readFile(join(env.root, "deployments", "next", "build.json"), "utf8")).version).toBe(
      "2.0.0",
    );
    expect(await env.health()).toEqual({ status: 200, version: "1.0.0" });
  });
});
