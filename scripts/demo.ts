// `npm run demo`: the whole job on an embedded default, on a fresh machine, leaving nothing behind.
// A throwaway PostgreSQL cluster archiving to a local directory repository; sample data, uploads and a secret;
// the nightly backup; more writes; a restore drill with its report; `zops check`; the demo application upgraded
// from v1 to v2 (with the same repository: its backup-freshness check sees the demo's backup); `zops drills` and
// `zops report --html`; then the three commands that set zops up for real. Run after `npm ci && npm run build`.
//   --keep               leave the directory (cluster stopped) for a look
//   --screenshot FILE    also render the report page in headless Chromium into FILE (PNG; docs/report.png)
// Everything it writes is under one temporary directory, removed at the end: the cluster, the repository, the
// deploy root, the copy of zops the postgres OS user runs, zops' config cache (XDG_CACHE_HOME) and temp files
// (TMPDIR) of every child. Escape codes only on a terminal.
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { execa } from "execa";
import { chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { shellQuote } from "../src/exec/self-command.js";
import { postgresRunAs } from "../src/pg/os-user.js";
import { createScratchCluster, type ScratchCluster } from "../src/pg/scratch-cluster.js";
import { demoUpgrade } from "../templates/demo-app/demo-upgrade.mjs";
import { installPortableSelf, type PortableSelf } from "./lib/portable-self.js";
import { renderPage } from "./lib/render-page.js";

const checkout = resolve(import.meta.dirname, "..");
const keep = process.argv.includes("--keep");
const screenshotIndex = process.argv.indexOf("--screenshot");
const screenshot = screenshotIndex > 0 ? resolve(process.argv[screenshotIndex + 1] ?? "docs/report.png") : undefined;
const terminal = process.stdout.isTTY === true;

const say = (text: string) => process.stdout.write(`${text}\n`);
const banner = (text: string) => say(terminal ? `\n\x1b[1m=== ${text}\x1b[0m` : `\n=== ${text}`);

const main = async (): Promise<void> => {
  const root = join(tmpdir(), `zops-demo-${Date.now()}`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  // Every child (zops, PostgreSQL, the demo service) keeps its caches and temp files in here.
  process.env.XDG_CACHE_HOME = join(root, "cache");
  process.env.TMPDIR = join(root, "tmp");
  await mkdir(process.env.TMPDIR, { recursive: true });
  if (!terminal) process.env.NO_COLOR = "1";
  const owner = await postgresRunAs();
  const own = async (path: string) => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  await own(root);
  let self: PortableSelf | undefined;
  let cluster: ScratchCluster | undefined;
  try {
    self = owner ? await installPortableSelf(checkout, root) : undefined;
    const zopsArgv = self?.command ?? [process.execPath, join(checkout, "dist", "bin", "zops.js")];
    const configPath = join(root, "zops.yml");
    const zops = async (args: string[], options: { reject?: boolean } = {}) => {
      say(`\n$ zops ${args.join(" ")}`);
      const [file = "node", ...prefix] = zopsArgv;
      return execa(file, [...prefix, "--config", configPath, ...args], {
        stdio: "inherit",
        reject: options.reject ?? true,
        env: { ZOPS_SELF: zopsArgv.join(" ") },
      });
    };

    banner(`Throwaway PostgreSQL cluster and local repository under ${root}`);
    const repo = join(root, "repository");
    const uploads = join(root, "uploads");
    const secret = join(root, "app-secrets.conf");
    for (const dir of [repo, uploads, join(uploads, "avatars"), join(root, "drills")]) {
      await mkdir(dir, { recursive: true });
      await own(dir);
    }
    for (let index = 0; index < 200; index += 1)
      await writeFile(join(uploads, "avatars", `user-${index}.txt`), `avatar of user ${index}\n`.repeat(20));
    await writeFile(secret, "[secrets]\nsecret_key = demo-not-a-real-secret\n", { mode: 0o600 });
    const identity = await generateX25519Identity();
    const identityFile = join(root, "drill.agekey");
    await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });

    await mkdir(join(root, "pg"));
    await own(join(root, "pg"));
    cluster = await createScratchCluster({
      root: join(root, "pg"),
      settings: { archive_mode: "on", wal_level: "replica", max_wal_size: "'256MB'" },
    });
    // The upgrade part (templates/demo-app/demo-upgrade.mjs, given this directory) deploys under <root>/root with
    // its config files in <root>/etc and the same repository: this config names them too, so `zops report` finds
    // the upgrade log and both halves of the demo use the one repository.
    await writeFile(
      configPath,
      [
        "# written by npm run demo",
        "repository:",
        `  url: file://${repo}`,
        "postgres:",
        `  dataDir: ${cluster.dataDir}`,
        `  host: ${cluster.socketDir}`,
        `  port: ${cluster.port}`,
        `  binDir: ${cluster.binDir}`,
        "uploads:",
        `  paths: [${uploads}]`,
        "secrets:",
        `  paths: [${secret}]`,
        `  recipients: [${await identityToRecipient(identity)}]`,
        "drill:",
        `  scratchDir: ${join(root, "drills")}`,
        "deploy:",
        `  root: ${join(root, "root")}`,
        `  configDir: ${join(root, "etc")}`,
        "",
      ].join("\n"),
      { mode: 0o644 },
    );
    await cluster.configure({
      archive_command: `'${shellQuote([...zopsArgv, "--config", configPath, "wal-push", "%p"]).replace(/'/g, "''")}'`,
    });
    await cluster.start();
    await zops(["repo", "init"]);

    banner("Sample data: pgbench (scale 5) and an application table");
    await cluster.exec("pgbench", ["-i", "-s", "5", "-q", "postgres"]);
    await cluster.query(
      "create table messages (id serial primary key, sender text, body text, sent timestamptz default now())",
    );
    await cluster.query(
      "insert into messages (sender, body) select 'user' || (g % 50), 'hello ' || g from generate_series(1, 20000) g",
    );

    banner("The nightly job: zops backup");
    await zops(["backup"]);

    banner("More writes after the backup (the drill must replay them from the WAL archive)");
    await cluster.exec("pgbench", ["-T", "5", "-c", "2", "postgres"]);
    await cluster.query(
      "insert into messages (sender, body) select 'late', 'written " +
        "after the backup ' || g from generate_series(1, 500) g",
    );
    await cluster.query("select pg_switch_wal()");
    await new Promise((done) => setTimeout(done, 2000));

    banner("Restore drill: restore, replay, compare, pg_amcheck, uploads, secrets, RTO/RPO");
    await zops(["drill", "--identity", identityFile]);

    banner("Monitoring: zops check");
    await zops(["check"], { reject: false });

    banner("Upgrade the demo application v1 -> v2 (same repository: the backup above counts)");
    await demoUpgrade({
      dir: root,
      postgres: { host: cluster.socketDir, port: cluster.port },
      // The demo's own repository: the upgrade's backup-freshness check finds the backup taken above.
      repository: `file://${repo}`,
      zops: zopsArgv,
      log: (text) => process.stdout.write(keep ? text : annotateRemovedPaths(text, root)),
    });
    await checkOneRepository(root, repo);

    banner("The drill history and the report to send");
    await zops(["drills"]);
    const page = join(root, "report.html");
    await zops(["report", "--html", page]);
    if (screenshot) {
      await writeFile(screenshot, (await renderPage(page)).png);
      say(`report page rendered to ${screenshot}`);
    }

    banner(`Demo complete${keep ? `: everything is in ${root}` : `; ${root} is removed (--keep keeps it)`}`);
    say(
      [
        "",
        'Set zops up for real (README, "Install" and "Setting up a server"; ' +
          "the defaults suit PostgreSQL 15 on Debian):",
        `  npm run release && tar xzf release/zops-${await version()}-${process.platform}-${process.arch}.tgz ` +
          "&& sudo sh package/install.sh",
        "  sudo install -D -m 0640 -g postgres /usr/local/lib/zops/templates/zops.yml /etc/zops/zops.yml " +
          "&& sudo zops repo init",
        "  sudo cp /usr/local/lib/zops/templates/postgresql.conf /etc/postgresql/15/main/conf.d/zops.conf " +
          "&& sudo cp /usr/local/lib/zops/templates/cron.d/zops /etc/cron.d/zops && sudo systemctl restart postgresql",
      ].join("\n"),
    );
  } finally {
    await cluster?.stop("fast").catch(() => undefined);
    if (!keep) await rm(root, { recursive: true, force: true });
    else await self?.remove();
  }
};

// A path under the demo directory that the demo is about to remove is said so where it is printed.
const annotateRemovedPaths = (text: string, root: string): string =>
  text.replace(/^(log: )(\S+)$/gm, (line, _label: string, path: string) =>
    path.startsWith(root) ? `${line} (removed with the demo directory; npm run demo -- --keep keeps it)` : line,
  );

// The upgrade half wrote its own config: it must name this repository, or the two halves would disagree.
const checkOneRepository = async (root: string, repo: string): Promise<void> => {
  const upgradeConfig = await readFile(join(root, "zops-demo-upgrade.yml"), "utf8").catch(() => "");
  if (!upgradeConfig.includes(`url: file://${repo}\n`) || !upgradeConfig.includes(`root: ${join(root, "root")}\n`))
    throw new Error(
      "the demo upgrade (templates/demo-app/demo-upgrade.mjs) no longer uses <dir>/repository and <dir>/root: " +
        "update scripts/demo.ts so both halves of the demo use one repository",
    );
};

const version = async (): Promise<string> =>
  (JSON.parse(await readFile(join(checkout, "package.json"), "utf8")) as { version: string }).version;

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
