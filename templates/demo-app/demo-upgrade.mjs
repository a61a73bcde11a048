#!/usr/bin/env node
// The upgrade part of the README demo: installs demo-app 1.0.0 into a throwaway deploy root,
// shows the plan for 2.0.0, upgrades to it, lists the deployments, and stops the demo service.
// Everything lives under <dir>; the app database is created in the given PostgreSQL.
//   node templates/demo-app/demo-upgrade.mjs <dir> <pg host or socket dir> <pg port> [pg user]
// or import { demoUpgrade } from this file. `zops` defaults to node <checkout>/dist/bin/zops.js
// (run `npm run build` first).
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { buildDemoRelease } from "./build-releases.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

const freePort = () =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

// Runs the v1 -> v2 demo upgrade; returns the printed transcript. Throws when a zops step fails.
// `repository` is the repository URL whose backups the upgrade's backup-freshness check reads (default: an empty one
// under `dir`).
export const demoUpgrade = async ({
  dir,
  postgres,
  repository,
  zops = [process.execPath, resolve(here, "../../dist/bin/zops.js")],
  log = (text) => process.stdout.write(text),
}) => {
  const root = join(dir, "root");
  const configDir = join(dir, "etc");
  await mkdir(root, { recursive: true });
  const database = "demo_app";
  const admin = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user ?? "postgres",
    database: "postgres",
  });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const v1 = await buildDemoRelease(join(dir, "releases"), "1.0.0");
  const v2 = await buildDemoRelease(join(dir, "releases"), "2.0.0");
  const port = await freePort();
  const config = join(dir, "zops-demo-upgrade.yml");
  await writeFile(
    config,
    [
      "repository:",
      `  url: ${repository ?? `file://${join(dir, "repository")}`}`,
      "postgres:",
      `  host: ${postgres.host}`,
      `  port: ${postgres.port}`,
      `  user: ${postgres.user ?? "postgres"}`,
      "deploy:",
      `  root: ${root}`,
      `  configDir: ${configDir}`,
      `  vars: {port: ${port}}`,
      `  database: {name: ${database}}`,
      "  health: {deadlineSeconds: 20}",
      "  backup: {policy: warn}",
      "",
    ].join("\n"),
  );
  let transcript = "";
  const zopsRun = async (args, okCodes = [0]) => {
    const [file, ...prefix] = zops;
    const shown = `$ zops ${args.join(" ")}\n`;
    let result;
    try {
      result = await run(file, [...prefix, "--config", config, ...args], { env: { ...process.env, ZOPS_QUIET: "1" } });
      result.code = 0;
    } catch (error) {
      result = error;
    }
    const text = `${shown}${result.stdout ?? ""}${result.stderr ?? ""}\n`;
    transcript += text;
    log(text);
    if (!okCodes.includes(result.code)) throw new Error(`zops ${args.join(" ")} exited with ${result.code}`);
  };
  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    const text = `GET /health -> ${response.status} ${(await response.text()).trim()}\n`;
    transcript += text;
    log(text);
  };
  try {
    await zopsRun(["upgrade", v1, "--yes"]);
    await health();
    await zopsRun(["upgrade", v2, "--plan"], [2]);
    await zopsRun(["upgrade", v2, "--yes"]);
    await health();
    await zopsRun(["deployments"]);
  } finally {
    await run(process.execPath, [
      join(root, "deployments", "current", "app", "demo-ctl.mjs"),
      "stop",
      join(configDir, "demo.conf"),
    ]).catch(() => undefined);
  }
  return transcript;
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, host, port, user] = process.argv.slice(2);
  if (!dir || !host || !port) {
    process.stderr.write("usage: demo-upgrade.mjs <dir> <pg host or socket dir> <pg port> [pg user]\n");
    process.exit(64);
  }
  await demoUpgrade({ dir: resolve(dir), postgres: { host, port: Number(port), user } });
}
