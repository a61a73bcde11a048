// Benchmark of `zops upgrade` on the demo application (npx tsx bench/upgrade.ts):
//  1. downtime of a v1 -> v2 upgrade with zops vs a plain "stop, unpack over, start" script, in the
//     same run, measured the same way for both: an HTTP poller (every 5 ms) records the longest gap
//     between successful /health answers;
//  2. `zops upgrade --plan` time for a release with 1,000 config files (over an installed release
//     with the same 1,000 files).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resultStatus } from "../src/commands/exits.js";
import { meta as upgradeMeta, runUpgrade } from "../src/commands/upgrade.js";
import { run } from "../src/exec/run.js";
import { formatDuration, formatTable } from "../src/ui/output.js";
import { buildDemoRelease } from "../templates/demo-app/build-releases.mjs";
import { createDemoEnv, freshCatalog, type DemoEnv } from "../test/upgrade/demo-env.js";
import { startCluster } from "../test/support/postgres.js";
import { freePort } from "../test/support/ports.js";

process.env.ZOPS_QUIET = "1";
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const globals = { json: true, verbose: false };

// Polls url until stopped; returns the longest gap (ms) between two successful answers.
const watch = (url: string) => {
  let running = true;
  let lastOk = performance.now();
  let longest = 0;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.ok) {
          const now = performance.now();
          longest = Math.max(longest, now - lastOk);
          lastOk = now;
        }
      } catch {
        // down
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return Math.round(longest);
  };
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const zopsRound = async (env: DemoEnv): Promise<{ gap: number; reported: number }> => {
  await runUpgrade(globals, env.releases.v1, { yes: true }, { config: env.config, catalog: freshCatalog });
  const stop = watch(`http://127.0.0.1:${env.port}/health`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const result = await runUpgrade(
    globals,
    env.releases.v2,
    { yes: true },
    { config: env.config, catalog: freshCatalog },
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { gap: await stop(), reported: (result.json as { downtimeMs: number }).downtimeMs };
};

const plainRound = async (dir: string, v1: string, v2: string): Promise<number> => {
  const app = join(dir, `plain-${Math.random().toString(36).slice(2)}`);
  const port = await freePort();
  await mkdir(join(app, "run"), { recursive: true });
  const conf = join(app, "demo.conf");
  await writeFile(
    conf,
    `port = ${port}\npid_file = ${app}/run/demo.pid\nlog_file = ${app}/run/demo.log\ngreeting = hello\n`,
  );
  await run("tar", ["xzf", v1, "-C", app, "--strip-components=1"]);
  await run(process.execPath, [join(app, "app", "demo-ctl.mjs"), "start", conf]);
  const stop = watch(`http://127.0.0.1:${port}/health`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const script =
    `set -e\n"${process.execPath}" app/demo-ctl.mjs stop ` +
    `demo.conf\ntar xzf "${v2}" ` +
    `--strip-components=1\n"${process.execPath}" app/demo-ctl.mjs ` +
    `start demo.conf\n`;
  await run("sh", ["-c", script], { cwd: app });
  for (let waited = 0; waited < 10_000; waited += 10) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const gap = await stop();
  await run(process.execPath, [join(app, "app", "demo-ctl.mjs"), "stop", conf]);
  return gap;
};

const cluster = await startCluster();
const envs: DemoEnv[] = [];
try {
  const zops: { gap: number; reported: number }[] = [];
  const plain: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const env = await createDemoEnv({ cluster });
    envs.push(env);
    zops.push(await zopsRound(env));
    plain.push(await plainRound(env.dir, env.releases.v1, env.releases.v2));
  }
  const zopsGap = median(zops.map((entry) => entry.gap));
  const plainGap = median(plain);

  const planEnv = await createDemoEnv({ cluster });
  envs.push(planEnv);
  const big1 = await buildDemoRelease(join(planEnv.dir, "big"), "1.0.0", { extraConfigs: 1000 });
  const big2 = await buildDemoRelease(join(planEnv.dir, "big"), "2.0.0", { extraConfigs: 1000 });
  await runUpgrade(globals, big1, { yes: true }, { config: planEnv.config, catalog: freshCatalog });
  const planTimes: number[] = [];
  let planExit = -1;
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    const result = await runUpgrade(globals, big2, { plan: true }, { config: planEnv.config, catalog: freshCatalog });
    planTimes.push(performance.now() - started);
    planExit = resultStatus(upgradeMeta.exits, result);
  }

  process.stdout.write(
    `${[
      `zops upgrade benchmark (demo app v1 -> v2, ${ROUNDS} rounds, medians; Node ${process.version})`,
      formatTable([
        ["", "downtime (HTTP gap)", "per round"],
        ["zops upgrade", formatDuration(zopsGap), zops.map((entry) => formatDuration(entry.gap)).join(", ")],
        ["plain stop/unpack/start", formatDuration(plainGap), plain.map(formatDuration).join(", ")],
      ]),
      `ratio zops / plain: ${(zopsGap / Math.max(plainGap, 1)).toFixed(2)}`,
      `zops-reported downtime (stop -> healthy): ${zops.map((entry) => formatDuration(entry.reported)).join(", ")}`,
      "zops' window also writes the config atomically, runs migration " +
        "002 in PostgreSQL and waits for the health gate; the plain " +
        "script does none of that.",
      `--plan with 1,000 config files: median ` +
        `${formatDuration(median(planTimes))} ` +
        `(${planTimes.map(formatDuration).join(", ")}), exit ${planExit}`,
    ].join("\n")}\n`,
  );
} finally {
  for (const env of envs) await env.destroy();
  await cluster.destroy();
}
