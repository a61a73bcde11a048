import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig, type ZopsConfig } from "../../src/config/index.js";
import type { BackupCatalog } from "../../src/deploy/backup-freshness.js";
import { run } from "../../src/exec/run.js";
import { buildDemoReleases } from "../../templates/demo-app/build-releases.mjs";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { freePort } from "../support/ports.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

/** A temp deploy root, a real PostgreSQL with the app database, the demo releases, and a config. */
export interface DemoEnv {
  readonly dir: string;
  readonly root: string;
  readonly configDir: string;
  readonly configPath: string;
  readonly config: ZopsConfig;
  readonly port: number;
  readonly releases: { v1: string; v2: string; v3: string };
  readonly cluster: TestCluster;
  /** GET /health of the demo service: status and body, or undefined when nothing answers. */
  health(): Promise<{ status: number; version: string } | undefined>;
  appQuery<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Stops any demo service still running and deletes everything. */
  destroy(): Promise<void>;
}

/** A backup catalog with one fresh backup (the backup engineer's catalog is built in parallel). */
export const freshCatalog: BackupCatalog = { latestBackup: async () => ({ id: "fake-fresh", finishedAt: new Date() }) };

/**
 * Builds a demo environment (own root, config dir, app database and port; a shared cluster when given); `deployExtra`
 * is YAML added under deploy:.
 */
export const createDemoEnv = async (
  options: { cluster?: TestCluster; deployExtra?: string } = {},
): Promise<DemoEnv> => {
  const dir = await makeTempDir("upgrade", { forPostgres: false });
  const cluster = options.cluster ?? (await startCluster());
  const ownCluster = !options.cluster;
  const database = `app_${Math.random().toString(36).slice(2, 8)}`;
  await cluster.query(`CREATE DATABASE ${database}`);
  const root = join(dir, "root");
  const configDir = join(dir, "etc");
  await mkdir(root, { recursive: true });
  const port = await freePort();
  const releases = await buildDemoReleases(join(dir, "releases"));
  const yaml = [
    "repository:",
    `  url: file://${join(dir, "repo")}`,
    "postgres:",
    `  dataDir: ${cluster.dataDir}`,
    `  host: ${cluster.socketDir}`,
    `  port: ${cluster.port}`,
    "deploy:",
    `  root: ${root}`,
    `  configDir: ${configDir}`,
    "  keep: 2",
    `  vars: {port: ${port}}`,
    // A generous deadline: only the unhealthy v3 waits it out; a loaded machine never fails a healthy start.
    "  health: {deadlineSeconds: 20, intervalMs: 100}",
    `  database: {name: ${database}}`,
    ...(options.deployExtra ? options.deployExtra.split("\n").map((line) => `  ${line}`) : []),
    "",
  ].join("\n");
  const configPath = join(dir, "zops.yml");
  await writeFile(configPath, yaml);
  const config = parseConfig(yaml, configPath);
  const health = async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { version: string };
      return { status: response.status, version: body.version };
    } catch {
      return undefined;
    }
  };
  return {
    dir,
    root,
    configDir,
    configPath,
    config,
    port,
    releases,
    cluster,
    health,
    appQuery: (sql) => cluster.query(sql, [], database) as never,
    destroy: async () => {
      const conf = join(configDir, "demo.conf");
      const current = join(root, "deployments", "current");
      await readFile(conf).then(
        () => run(process.execPath, [join(current, "app", "demo-ctl.mjs"), "stop", conf], { reject: false }),
        () => undefined,
      );
      if (ownCluster) await cluster.destroy();
      await removeTempDir(dir);
    },
  };
};
