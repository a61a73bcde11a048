import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { promtoolProblems } from "../support/promtool.js";
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
// a broken repository and PostgreSQL unreachable (CRITICAL, exit 2), in every format; every Prometheus output passes
// promtool. The archiving probes (backup age, WAL chain and drill have their own test in nightly-probes.test.ts).
// --only also runs the probes the named ones need (postgres, repository).
const ARCHIVE_PROBES = "archive-settings,archiver,ready-backlog,last-archived";

/** `zops check --format prometheus` with `args`: its exit code, and promtool's complaints (none expected). */
const prometheus = async (args: string[]) => {
  const result = await runZops([...args, "--format", "prometheus"]);
  expect(await promtoolProblems(result.stdout), result.stdout).toEqual([]);
  return result;
};

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
      "postgres",
      "repository",
      "archive-settings",
      "archiver",
      "ready-backlog",
      "last-archived",
    ]);
    const archiver = report.probes.find((probe) => probe.name === "archiver");
    expect(archiver?.metrics.wal_archive_failures_total).toBe(0);
    expect(archiver?.metrics.wal_archived_total).toBeGreaterThanOrEqual(2);

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
    expect(nagios.stdout).toMatch(/^ZOPS OK - all 6 checks OK \| .*'wal_ready_files'=0;16;64/);
    expect(nagios.stdout).toMatch(/'wal_archived_total'=\d+c /);

    const prom = await prometheus(["--config", healthyConfig.path, "check", "--only", ARCHIVE_PROBES]);
    expect(prom.exitCode).toBe(0);
    expect(prom.stdout).toContain('zops_check_status{probe="last-archived"} 0');
    expect(prom.stdout).toMatch(/^# TYPE zops_wal_archive_failures_total counter$/m);
    expect(prom.stdout).toMatch(/^zops_wal_archive_failures_total 0$/m);
    expect(prom.stdout).toMatch(/^zops_postgres_up 1$/m);
    expect(prom.stdout).toMatch(/^zops_repository_up 1$/m);
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
    expect(nagios.stdout).toMatch(/'wal_ready_files'=1;1;50/);
    const prom = await prometheus(["--config", config.path, "check", "--only", ARCHIVE_PROBES]);
    expect(prom.exitCode).toBe(1);
    expect(prom.stdout).toContain('zops_check_status{probe="archiver"} 1');
    expect(prom.stdout).toContain('zops_check_status{probe="last-archived"} 1');
    expect(prom.stdout).toMatch(/^zops_wal_archive_failing 1$/m);

    // The same failing archiver past 0.06 s limits (ages only grow), and a backlog past its critical count: CRITICAL.
    const critical = await writeTestConfig(
      { url: repoUrl },
      {
        postgres: failing.postgresConfig,
        check: { readyWarn: 1, readyCritical: 1, archiveWarnMinutes: 0.001, archiveCriticalMinutes: 0.001 },
      },
    );
    const crit = await prometheus(["--config", critical.path, "check", "--only", ARCHIVE_PROBES]);
    expect(crit.exitCode).toBe(2);
    expect(crit.stdout).toContain('zops_check_status{probe="archiver"} 2');
    expect(crit.stdout).toContain('zops_check_status{probe="ready-backlog"} 2');
  });

  it("is CRITICAL (exit 2) when the last archived WAL file is not in the repository", async () => {
    const other = await writeTestConfig(
      { url: (await makeFileRepository()).url },
      { postgres: healthy.postgresConfig },
    );
    const prom = await prometheus(["--config", other.path, "check", "--only", "last-archived"]);
    expect(prom.exitCode).toBe(2);
    expect(prom.stdout).toContain('zops_check_status{probe="last-archived"} 2');
    expect(prom.stdout).toMatch(/^zops_wal_last_archived_present 0$/m);
  });

  it("is CRITICAL (exit 2) when the repository is not a zops repository or archive_command is not zops", async () => {
    const config = await writeTestConfig({ url: brokenRepoUrl }, { postgres: failing.postgresConfig });
    const nagios = await runZops(["--config", config.path, "check", "--format", "nagios"]);
    expect(nagios.exitCode).toBe(2);
    expect(nagios.stdout).toMatch(/^ZOPS CRITICAL - repository: no zops repository at 'file:\/\//);
    // One cause, once: the probes that read the repository say they were skipped because of it.
    expect(nagios.stdout).toMatch(/skipped because repository failed: last-archived, backup-age, wal-chain, drill/);
    expect(nagios.stdout.split("no zops repository")).toHaveLength(2);
    const prom = await prometheus(["--config", config.path, "check"]);
    expect(prom.exitCode).toBe(2);
    expect(prom.stdout).toMatch(/^zops_repository_up 0$/m);
    expect(prom.stdout).toContain('zops_check_status{probe="repository"} 2');

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
      const prom = await prometheus(["--config", healthyConfig.path, "check", "--only", "archive-settings"]);
      expect(prom.exitCode).toBe(2);
      expect(prom.stdout).toMatch(/^zops_archive_configured 0$/m);
    } finally {
      await healthy.query("alter system reset archive_command");
      await healthy.query("select pg_reload_conf()");
    }
  });

  it("is CRITICAL when PostgreSQL cannot be reached: one postgres cause, the probes needing it skipped", async () => {
    const config = await writeTestConfig({ url: repoUrl }, { postgres: { ...healthy.postgresConfig, port: 1 } });
    const nagios = await runZops(["--config", config.path, "check", "--only", ARCHIVE_PROBES, "--format", "nagios"]);
    expect(nagios.exitCode).toBe(2);
    expect(nagios.stdout).toMatch(/^ZOPS CRITICAL - postgres: unable to connect to PostgreSQL[^;|]*; /);
    expect(nagios.stdout).toMatch(
      /; skipped because postgres failed: archive-settings, archiver, ready-backlog, last-archived \|/,
    );
    expect(nagios.stdout.split("unable to connect")).toHaveLength(2);
    expect(nagios.stdout).toMatch(/'postgres_up'=0 /);
    expect(nagios.stdout).toMatch(/'repository_up'=1 /);
    const prom = await prometheus(["--config", config.path, "check", "--only", ARCHIVE_PROBES]);
    expect(prom.exitCode).toBe(2);
    expect(prom.stdout).toMatch(/^zops_postgres_up 0$/m);
    expect(prom.stdout).toContain('zops_check_status{probe="archiver"} 3');
  });

  it("--output FILE writes the report atomically (mode 0644) and exits 0 whatever the probes say", async () => {
    const dir = await makeTempDir("textfile", { forPostgres: false });
    const file = join(dir, "zops.prom");
    const config = await writeTestConfig({ url: repoUrl }, { postgres: { ...healthy.postgresConfig, port: 1 } });
    const args = ["--config", config.path, "check", "--only", ARCHIVE_PROBES, "--format", "prometheus"];
    const written = await runZops([...args, "--output", file]);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(written.stdout).toBe("");
    const text = await readFile(file, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toMatch(/^zops_postgres_up 0$/m);
    expect(await promtoolProblems(text)).toEqual([]);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    // Over an existing file: replaced whole, its mode kept, no temp file left beside it.
    await writeFile(file, "old\n");
    await chmod(file, 0o640);
    expect((await runZops([...args, "--output", file])).exitCode).toBe(0);
    expect(await readFile(file, "utf8")).toMatch(/^zops_check_timestamp_seconds \d+$/m);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(["zops.prom"]);
    // A missing directory is an error naming it (exit 3, UNKNOWN: the file was not written).
    const missing = await runZops([...args, "--output", join(dir, "nodir", "zops.prom")]);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/unable to write '.*nodir\/zops\.prom': directory '.*nodir' does not exist/);
  });

  it("--json with another --format is a usage error instead of silently printing JSON", async () => {
    const contradiction = await runZops(["--config", healthyConfig.path, "--json", "check", "--format", "prometheus"]);
    // With --json, stdout holds the one envelope (src/cli.ts): here the usage error, never a report.
    expect(JSON.parse(contradiction.stdout)).toMatchObject({
      ok: false,
      command: "check",
      error: { message: expect.stringMatching(/--json and --format prometheus contradict/) },
    });
    expect(contradiction.exitCode).not.toBe(0);
    const json = await runZops(["--config", healthyConfig.path, "--json", "check", "--only", "postgres"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, command: "check", result: { status: "ok" } });
  });

  // Issue 14 item 2: the active check. On main at ff52c7c --archive is an unknown option (exit 2).
  it("--archive switches WAL and waits for the segment: OK when archived, CRITICAL when it never comes", async () => {
    const ok = await runZops([
      "--config",
      healthyConfig.path,
      "check",
      "--only",
      "postgres",
      "--archive",
      "--format",
      "json",
    ]);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    const probes = (JSON.parse(ok.stdout) as { probes: { name: string; status: string; metrics: object }[] }).probes;
    expect(probes.map((probe) => probe.name)).toEqual(["postgres", "repository", "archive"]);
    expect(probes.at(-1)).toMatchObject({ status: "ok", metrics: { wal_switch_archived: 1 } });

    // The failing cluster's archive_command writes elsewhere: the segment never reaches this (empty) repository.
    const elsewhere = await writeTestConfig(
      { url: (await makeFileRepository()).url },
      { postgres: failing.postgresConfig },
    );
    await failing.query("create table if not exists t (id int); insert into t values (1)");
    const args = ["--config", elsewhere.path, "check", "--only", "postgres", "--archive", "--archive-timeout", "2"];
    const nagios = await runZops([...args, "--format", "nagios"]);
    expect(nagios.exitCode).toBe(2);
    expect(nagios.stdout).toMatch(/archive: switched WAL, but \w{24} did not reach .* within 2 s/);
    const prometheus = await runZops([...args, "--format", "prometheus"]);
    expect(await promtoolProblems(prometheus.stdout), prometheus.stdout).toEqual([]);
    expect(prometheus.stdout).toMatch(/^zops_wal_switch_archived 0$/m);
    expect(prometheus.stdout).toMatch(/^zops_check_status\{probe="archive"\} 2$/m);
  });
});
