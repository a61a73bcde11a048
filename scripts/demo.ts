// `npm run demo`: the whole job on an embedded default, on a fresh machine, leaving nothing behind.
// A throwaway PostgreSQL cluster archiving to a local directory repository; sample data, uploads and a secret;
// the nightly backup; more writes; a restore drill with its report; `zops check`; and the demo application
// upgraded from v1 to v2. Run after `npm ci && npm run build`. `--keep` leaves the directory for a look.
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { execa } from "execa";
import { chown, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createScratchCluster, type ScratchCluster } from "../src/pg/scratch-cluster.js";
import { postgresRunAs } from "../src/pg/os-user.js";
import { shellQuote } from "../src/exec/self-command.js";
import { demoUpgrade } from "../templates/demo-app/demo-upgrade.mjs";
import { installPortableSelf, type PortableSelf } from "./lib/portable-self.js";

const checkout = resolve(import.meta.dirname, "..");
const keep = process.argv.includes("--keep");

const banner = (text: string) => process.stdout.write(`\n\x1b[1m=== ${text}\x1b[0m\n`);

const main = async (): Promise<void> => {
  const root = join(tmpdir(), `zops-demo-${Date.now()}`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const owner = await postgresRunAs();
  const own = async (path: string) => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  await own(root);
  let self: PortableSelf | undefined;
  let cluster: ScratchCluster | undefined;
  try {
    self = owner ? await installPortableSelf(checkout) : undefined;
    const zopsArgv = self?.command ?? [process.execPath, join(checkout, "dist", "bin", "zops.js")];
    const configPath = join(root, "zops.yml");
    const zops = async (args: string[], options: { reject?: boolean } = {}) => {
      process.stdout.write(`\n$ zops ${args.join(" ")}\n`);
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

    banner("Upgrade the demo application v1 -> v2");
    await mkdir(join(root, "app"), { recursive: true });
    await demoUpgrade({
      dir: join(root, "app"),
      postgres: { host: cluster.socketDir, port: cluster.port },
      // The demo's own repository: the upgrade's backup-freshness check finds the backup taken above.
      repository: `file://${repo}`,
      zops: zopsArgv,
    });

    banner(`Demo complete${keep ? `: everything is in ${root}` : ""}`);
  } finally {
    await cluster?.stop("fast").catch(() => undefined);
    if (!keep) await rm(root, { recursive: true, force: true });
    await self?.remove();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
