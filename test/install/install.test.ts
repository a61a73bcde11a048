import { execa } from "execa";
import { existsSync } from "node:fs";
import { cp, lstat, readFile, readlink, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { makeFileRepository, writeTestConfig, type WalTestConfig } from "../wal/support.js";

// The release as an operator installs it (README "Install"): `npm run release` packs a tarball, install.sh puts it
// under PREFIX/lib/zops with the command PREFIX/bin/zops. Here PREFIX is <scratch root>/usr/local; the systemd units
// are verified against that root, and a cluster archives through the installed command while a backup and a restore
// run through it with the checkout hidden (a private mount namespace with an empty tmpfs over it, when root), from a
// cwd and PATH that do not reach it, without ZOPS_SELF.
const checkout = process.cwd();
// Outside CI a machine without systemd skips the units check; in CI (.ci/run installs systemd) it must run, and fails
// when systemd-analyze is missing.
const hasSystemdAnalyze =
  existsSync("/usr/bin/systemd-analyze") || existsSync("/bin/systemd-analyze") || process.env.CI === "true";
const hideCheckout = process.getuid?.() === 0;

describe("release install", () => {
  let root: string;
  let prefix: string;
  let zops: string;
  let cache: string;

  /** Runs the installed command (argv after `zops`) out of sight of the checkout; never throws. */
  const installed = (args: readonly string[], command: readonly string[] = [zops]) => {
    const [file = zops, ...rest] = command;
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: root, XDG_CACHE_HOME: cache, LANG: "C" };
    const options = { cwd: root, env, extendEnv: false, reject: false } as const;
    return hideCheckout
      ? execa(
          "unshare",
          [
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            'mount -t tmpfs -o ro,size=1m none "$1" && shift && exec "$@"',
            "sh",
            checkout,
            file,
            ...rest,
            ...args,
          ],
          options,
        )
      : execa(file, [...rest, ...args], options);
  };

  beforeAll(async () => {
    root = await makeTempDir("install");
    prefix = join(root, "usr", "local");
    zops = join(prefix, "bin", "zops");
    cache = join(root, "cache");
    const packed = await execa(process.execPath, ["scripts/release/pack.mjs", "--out", join(root, "release")]);
    const tarball = packed.stdout.trim();
    expect(tarball).toMatch(/zops-\d+\.\d+\.\d+-linux-\w+\.tgz$/);
    await execa("tar", ["xzf", tarball], { cwd: root });
    const install = await execa("sh", [join(root, "package", "install.sh"), "--prefix", prefix], {
      cwd: root,
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      extendEnv: false,
    });
    expect(install.stdout).toMatch(/^installed zops \S+: .*\/usr\/local\/bin\/zops -> /);
  }, 120_000);

  afterAll(async () => {
    if (root) await removeTempDir(root);
  });

  it("installs a self-contained release: bin/zops runs lib/zops, nothing points at the checkout", async () => {
    expect((await lstat(zops)).isFile()).toBe(true);
    const wrapper = await readFile(zops, "utf8");
    expect(wrapper).toContain(`exec ${process.execPath} ${prefix}/lib/zops/dist/bin/zops.js "$@"`);
    expect(wrapper).toContain(`ZOPS_SELF=${zops}\n`);
    expect(await readlink(join(prefix, "lib", "zops"))).toMatch(/^zops\.d\/\d+\.\d+\.\d+-\d{8}T\d{6}Z$/);
    const lib = join(prefix, "lib", "zops");
    for (const file of ["dist/bin/zops.js", "dist/bin/zops-cli.js", "dist/bin/zops-worker.js"])
      expect(existsSync(join(lib, file)), file).toBe(true);
    expect(existsSync(join(lib, "node_modules/zstd-napi/build/Release/binding.node"))).toBe(true);
    const mentions = await execa("grep", ["-rlF", checkout, `${lib}/`], { reject: false });
    expect(mentions.stdout).toBe("");
    const version = await installed(["--version"]);
    expect(version.exitCode, version.stderr).toBe(0);
    if (hideCheckout) {
      const hidden = await installed([], ["ls", "-A", checkout]);
      expect(hidden.exitCode, hidden.stderr).toBe(0);
      expect(hidden.stdout).toBe("");
    }
  });

  it.runIf(hasSystemdAnalyze)("systemd-analyze verify accepts the units with the installed command", async () => {
    const units = join(root, "etc", "systemd", "system");
    await cp(join(checkout, "templates", "systemd"), units, { recursive: true });
    await cp("/lib/systemd/system", join(root, "lib", "systemd", "system"), { recursive: true });
    const names = ["zops-backup.service", "zops-backup.timer", "zops-drill.service", "zops-drill.timer"];
    const verify = () =>
      execa("systemd-analyze", ["verify", "--man=no", `--root=${root}`, ...names.map((n) => `./${n}`)], {
        cwd: units,
        reject: false,
      });
    const ok = await verify();
    expect(ok.exitCode, ok.stderr).toBe(0);
    // The same units without the command at /usr/local/bin/zops fail: the check can see what it checks.
    await rename(zops, `${zops}.hidden`);
    try {
      const missing = await verify();
      expect(missing.exitCode).not.toBe(0);
      expect(missing.stderr).toMatch(/Command \/usr\/local\/bin\/zops is not executable/);
    } finally {
      await rename(`${zops}.hidden`, zops);
    }
  });

  it("every template runs /usr/local/bin/zops; cron and logrotate create and rotate /var/log/zops", async () => {
    const files = [
      "templates/systemd/zops-backup.service",
      "templates/systemd/zops-drill.service",
      "templates/cron.d/zops",
      "templates/postgresql.conf",
    ];
    for (const file of files) {
      const text = await readFile(join(checkout, file), "utf8");
      const invocation = /(?:^|[\s'=])([^\s'=]*zops)\s+(?:--config|backup|drill|check|wal-push|wal-fetch)\b/g;
      const commands = text.split("\n").flatMap((line) => [...line.replace(/^#\s?/, "").matchAll(invocation)]);
      expect(commands.length, file).toBeGreaterThan(0);
      for (const match of commands) expect(match[1], `${file}: ${match[0]}`).toBe("/usr/local/bin/zops");
    }
    const cron = await readFile(join(checkout, "templates/cron.d/zops"), "utf8");
    const jobs = cron.split("\n").filter((line) => /^[\d*]/.test(line));
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs)
      if (job.includes("/var/log/zops/"))
        expect(job).toMatch(/root mkdir -pm 750 \/var\/log\/zops && \/usr\/local\/bin/);
    const logrotate = await execa(
      "logrotate",
      ["--debug", "--state", join(root, "logrotate.state"), join(checkout, "templates/logrotate.d/zops")],
      { reject: false },
    );
    expect(logrotate.exitCode, logrotate.stderr).toBe(0);
    expect(`${logrotate.stdout}${logrotate.stderr}`).toContain("/var/log/zops/*.log");
    expect(`${logrotate.stdout}${logrotate.stderr}`).not.toMatch(/error/i);
  });

  describe("with a cluster archiving through the installed command", () => {
    let cluster: TestCluster;
    let config: WalTestConfig;

    beforeAll(async () => {
      const repository = await makeFileRepository();
      cluster = await startCluster({ start: false, settings: { archive_mode: "on", archive_timeout: 0 } });
      config = await writeTestConfig(
        { url: repository.url },
        { postgres: { ...cluster.postgresConfig }, backup: { processes: 2, archiveTimeoutSeconds: 60 } },
      );
      await cluster.configure({ archive_command: `'${zops} --config ${config.path} wal-push %p'` });
      await cluster.start();
      await cluster.query("create table t (id int primary key, body text)");
      await cluster.query("insert into t select g, repeat('x', 200) from generate_series(1, 20000) g");
    }, 120_000);

    afterAll(async () => cluster?.destroy());

    it("backs up, restores and checks through PREFIX/bin/zops with the checkout out of sight", async () => {
      const backup = await installed(["--config", config.path, "backup", "--no-uploads", "--no-secrets"]);
      expect(backup.exitCode, `${backup.stdout}\n${backup.stderr}`).toBe(0);
      const listing = await installed(["--config", config.path, "--json", "backups"]);
      expect(listing.exitCode, listing.stderr).toBe(0);
      expect(listing.stdout).toMatch(/"id": "\d{8}T\d{6}F"/);

      // PostgreSQL archived through the installed command: the file it last archived is in the repository.
      await cluster.query("insert into t values (0, 'after the backup')");
      await cluster.query("select pg_switch_wal()");
      const archived = await installed([
        "--config",
        config.path,
        "check",
        "--only",
        "last-archived",
        "--format",
        "json",
      ]);
      expect(JSON.parse(archived.stdout)).toMatchObject({ status: "ok" });

      // The restore_command zops writes into a restored cluster names the installed command, not the checkout.
      const target = join(root, "restored");
      const restore = await installed(["--config", config.path, "restore", "--to", target]);
      expect(restore.exitCode, `${restore.stdout}\n${restore.stderr}`).toBe(0);
      const auto = await readFile(join(target, "postgresql.auto.conf"), "utf8");
      expect(auto).toContain(`restore_command = '${zops} --config ${config.path} wal-fetch %f %p'`);
    }, 180_000);
  });
});
