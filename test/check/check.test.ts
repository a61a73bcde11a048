import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { makeTempDir } from "../support/temp.js";
import {
  archiveCommand,
  generateSegments,
  makeFileRepository,
  runZops,
  waitArchived,
  writeTestConfig,
  type WalTestConfig,
} from "../wal/support.js";

// `zops check` against real clusters: healthy archiving (OK, exit 0), failing archiving (WARNING, exit 1),
// a broken repository (CRITICAL, exit 2), PostgreSQL unreachable (UNKNOWN, exit 3), in every format.
// The archiving probes (backup age, WAL chain and drill have their own test in nightly-probes.test.ts).
const ARCHIVE_PROBES = "repository,archive-settings,archiver,ready-backlog,last-archived";

describe("zops check", () => {
  let healthy: TestCluster;
  let failing: TestCluster;
  let repoUrl: string;
  let healthyConfig: WalTestConfig;
  let brokenRepoUrl: string;

  beforeAll(async () => {
    repoUrl = (await makeFileRepository()).url;
    brokenRepoUrl = `file://${await makeTempDir("norepo")}`;
    const pushConfig = await writeTestConfig({ url: repoUrl });
    const brokenPushConfig = await writeTestConfig({ url: brokenRepoUrl });
    [healthy, failing] = await Promise.all([
      startCluster({ settings: { archive_mode: "on", archive_command: archiveCommand(pushConfig) } }),
      startCluster({ settings: { archive_mode: "on", archive_command: archiveCommand(brokenPushConfig) } }),
    ]);
    const names = await generateSegments(healthy, 2);
    await waitArchived(healthy, names.at(-1) ?? "");
    await generateSegments(failing, 1);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [row] = await failing.query<{ failed: number }>("select failed_count::int as failed from pg_stat_archiver");
      if ((row?.failed ?? 0) > 0) break;
      if (Date.now() > deadline) throw new Error("archiving into a repository without a marker did not fail");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    healthyConfig = await writeTestConfig({ url: repoUrl }, { postgres: healthy.postgresConfig });
  }, 180_000);

  afterAll(async () => {
    await healthy?.destroy();
    await failing?.destroy();
  });

  it("reports OK with exit 0 for healthy archiving, in text, json, nagios and prometheus", async () => {
    const text = await runZops(["--config", healthyConfig.path, "check", "--only", ARCHIVE_PROBES]);
    expect(text.exitCode, text.stderr + text.stdout).toBe(0);
    expect(text.stdout).toMatch(/archive-settings\s+OK/);
    expect(text.stdout).toMatch(/Overall: OK/);

    const json = await runZops(["--config", healthyConfig.path, "check", "--only", ARCHIVE_PROBES, "--format", "json"]);
    const report = JSON.parse(json.stdout) as {
      status: string;
      exitCode: number;
      probes: { name: string; status: string; metrics: Record<string, number> }[];
    };
    expect(report.status).toBe("ok");
    expect(report.probes.map((probe) => probe.name)).toEqual([
      "repository",
      "archive-settings",
      "archiver",
      "ready-backlog",
      "last-archived",
    ]);
    const archiver = report.probes.find((probe) => probe.name === "archiver");
    expect(archiver?.metrics.wal_failed_count).toBe(0);
    expect(archiver?.metrics.wal_archived_count).toBeGreaterThanOrEqual(2);

    const nagios = await runZops([
      "--config",
      healthyConfig.path,
      "check",
      "--only",
      ARCHIVE_PROBES,
      "--format",
      "nagios",
    ]);
    expect(nagios.exitCode).toBe(0);
    expect(nagios.stdout.trim().split("\n")).toHaveLength(1);
    expect(nagios.stdout).toMatch(/^ZOPS OK - all 5 checks OK \| .*'wal_ready_count'=0;16;64/);

    const prom = await runZops([
      "--config",
      healthyConfig.path,
      "check",
      "--only",
      ARCHIVE_PROBES,
      "--format",
      "prometheus",
    ]);
    expect(prom.exitCode).toBe(0);
    expect(prom.stdout).toContain('zops_check_status{probe="last-archived"} 0');
    expect(prom.stdout).toMatch(/^zops_wal_failed_count 0$/m);
    expect(prom.stdout).toMatch(/^zops_check_timestamp_seconds \d+$/m);
    for (const line of prom.stdout.trim().split("\n"))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{probe="[a-z-]+"\})? -?[\d.e+]+)$/);
  });

  it("warns (exit 1) while archiving fails and WAL waits, with thresholds from the check: section", async () => {
    const config = await writeTestConfig(
      { url: repoUrl },
      { postgres: failing.postgresConfig, check: { readyWarn: 1, readyCritical: 50 } },
    );
    const nagios = await runZops(["--config", config.path, "check", "--only", ARCHIVE_PROBES, "--format", "nagios"]);
    expect(nagios.exitCode, nagios.stdout).toBe(1);
    expect(nagios.stdout).toMatch(
      /^ZOPS WARNING - archiver: archiving is failing: last failure 0000000100000000000000\w\w/,
    );
    expect(nagios.stdout).toMatch(/ready-backlog: 1 WAL file\(s\) waiting/);
    expect(nagios.stdout).toMatch(/'wal_ready_count'=1;1;50/);
    const prom = await runZops(["--config", config.path, "check", "--only", ARCHIVE_PROBES, "--format", "prometheus"]);
    expect(prom.exitCode).toBe(1);
    expect(prom.stdout).toContain('zops_check_status{probe="archiver"} 1');
    expect(prom.stdout).toMatch(/^zops_wal_archive_failing 1$/m);
  });

  it("is CRITICAL (exit 2) when the repository is not a zops repository or archive_command is not zops", async () => {
    const config = await writeTestConfig({ url: brokenRepoUrl }, { postgres: failing.postgresConfig });
    const nagios = await runZops(["--config", config.path, "check", "--format", "nagios"]);
    expect(nagios.exitCode).toBe(2);
    expect(nagios.stdout).toMatch(/^ZOPS CRITICAL - repository: no zops repository at 'file:\/\//);

    await healthy.query("alter system set archive_command = '/bin/true'");
    await healthy.query("select pg_reload_conf()");
    try {
      const json = await runZops(["--config", healthyConfig.path, "--json", "check"]);
      expect(json.exitCode).toBe(2);
      const report = JSON.parse(json.stdout).result as { probes: { name: string; status: string; message: string }[] };
      expect(report.probes.find((probe) => probe.name === "archive-settings")).toMatchObject({
        status: "critical",
        message: expect.stringContaining("does not run zops wal-push"),
      });
    } finally {
      await healthy.query("alter system reset archive_command");
      await healthy.query("select pg_reload_conf()");
    }
  });

  it("is UNKNOWN (exit 3) when PostgreSQL cannot be reached, and still checks the repository", async () => {
    const config = await writeTestConfig({ url: repoUrl }, { postgres: { ...healthy.postgresConfig, port: 1 } });
    const nagios = await runZops(["--config", config.path, "check", "--only", ARCHIVE_PROBES, "--format", "nagios"]);
    expect(nagios.exitCode).toBe(3);
    expect(nagios.stdout).toMatch(/^ZOPS UNKNOWN - archive-settings: unable to check: unable to connect to PostgreSQL/);
    expect(nagios.stdout).toMatch(/'repository_up'=1/);
  });
});
