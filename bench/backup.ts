// Full backup and restore, zops vs pgBackRest, on the same pgbench database in the same run.
//   npx tsx bench/backup.ts [scale=100] [processes=2]
// Needs PostgreSQL 15 and pgbackrest (apt-get install -y pgbackrest). Builds dist/ first. Prints
// time, peak RSS (whole process tree, sampled every 50 ms) and stored size for each tool, and the ratios.
import { execa } from "execa";
import { chown, cp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { shellQuote, zopsCommand } from "../src/exec/self-command.js";
import { run } from "../src/exec/run.js";
import { createScratchCluster } from "../src/pg/scratch-cluster.js";
import { writeMarker } from "../src/repo/repository.js";
import { FileStorage } from "../src/storage/file.js";

const scale = Number(process.argv[2] ?? 100);
const processes = Number(process.argv[3] ?? 2);
const root = `/var/tmp/zops-bench-${process.pid}`;

const childrenOf = async (): Promise<Map<number, number[]>> => {
  const tree = new Map<number, number[]>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!ppid) continue;
    tree.set(ppid, [...(tree.get(ppid) ?? []), Number(name)]);
  }
  return tree;
};

const rssOfTree = async (pid: number): Promise<number> => {
  const tree = await childrenOf();
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop() as number;
    const status = await readFile(`/proc/${current}/status`, "utf8").catch(() => "");
    total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    stack.push(...(tree.get(current) ?? []));
  }
  return total;
};

// Runs a command under /usr/bin/time (peak RSS of its largest process) while sampling the RSS of its whole process
// tree; returns seconds and both peaks.
const measure = async (
  file: string,
  args: string[],
  options: { uid?: number; gid?: number; env?: Record<string, string> } = {},
) => {
  const timeFile = join(root, `time-${Date.now()}.txt`);
  const started = performance.now();
  const child = execa("/usr/bin/time", ["-f", "%M", "-o", timeFile, file, ...args], {
    uid: options.uid,
    gid: options.gid,
    env: options.env,
    reject: false,
    all: false,
  });
  let peakTree = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      if (child.pid) peakTree = Math.max(peakTree, await rssOfTree(child.pid));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const result = await child;
  done = true;
  const outputFile = join(root, `stdout-${Date.now()}.txt`);
  await writeFile(outputFile, String(result.stdout ?? ""));
  await sampler;
  if (result.failed) throw new Error(`${file} ${args.join(" ")} failed:\n${String(result.stderr)}`);
  const peakProcess = Number((await readFile(timeFile, "utf8")).trim().split("\n").pop()) * 1024;
  return { seconds: (performance.now() - started) / 1000, peak: peakProcess, peakTree, outputFile };
};

const du = async (path: string): Promise<number> => Number((await execa("du", ["-sb", path])).stdout.split("\t")[0]);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

await rm(root, { recursive: true, force: true });
await mkdir(root, { recursive: true });
// A private copy of the bundle (dist/ is shared with concurrent test runs that rebuild it).
await execa("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
await cp("dist", join(root, "zops", "dist"), { recursive: true });
await cp("node_modules/zstd-napi", join(root, "zops", "node_modules", "zstd-napi"), { recursive: true });
await cp("package.json", join(root, "zops", "package.json"));
await execa("chmod", ["-R", "a+rX", root]);
process.env.ZOPS_SELF = `${process.execPath} ${join(root, "zops", "dist", "bin", "zops.js")}`;
const pgUser = await run("id", ["-u", "postgres"], { reject: false });
const uid = process.getuid?.() === 0 ? Number(pgUser.stdout) : undefined;
const gid = uid === undefined ? undefined : Number((await run("id", ["-g", "postgres"])).stdout);
if (uid !== undefined && gid !== undefined) await chown(root, uid, gid);
const asPostgres = async (path: string) => {
  if (uid !== undefined && gid !== undefined) await chown(path, uid, gid);
};

const zopsRepo = join(root, "zops-repo");
const pgbrRepo = join(root, "pgbackrest-repo");
for (const dir of [zopsRepo, pgbrRepo, join(root, "pgbackrest-log"), join(root, "pgbackrest-spool")]) {
  await mkdir(dir);
  await asPostgres(dir);
}
await writeMarker(new FileStorage(zopsRepo));
await asPostgres(join(zopsRepo, "zops-repository.json"));

const cluster = await createScratchCluster({
  root,
  settings: { shared_buffers: "'256MB'", max_wal_size: "'4GB'", wal_level: "replica", archive_mode: "on" },
});
const configPath = join(root, "zops.yml");
await writeFile(
  configPath,
  stringify({
    repository: { url: `file://${zopsRepo}` },
    postgres: cluster.postgresConfig,
    backup: { processes, compressLevel: 3 },
    wal: { pushAhead: 4 },
  }),
  { mode: 0o644 },
);
const pgbrConfig = join(root, "pgbackrest.conf");
await writeFile(
  pgbrConfig,
  [
    "[global]",
    `repo1-path=${pgbrRepo}`,
    "repo1-retention-full=10",
    `process-max=${processes}`,
    "compress-type=zst",
    "compress-level=3",
    "start-fast=y",
    `log-path=${join(root, "pgbackrest-log")}`,
    `lock-path=${join(root, "pgbackrest-log")}`,
    `spool-path=${join(root, "pgbackrest-spool")}`,
    "log-level-console=warn",
    "",
    "[bench]",
    `pg1-path=${cluster.dataDir}`,
    `pg1-socket-path=${cluster.socketDir}`,
    `pg1-port=${cluster.port}`,
    "",
  ].join("\n"),
  { mode: 0o644 },
);
const zopsPush = shellQuote([...zopsCommand(), "--config", configPath, "wal-push"]);
const pgbrPush = shellQuote(["pgbackrest", `--config=${pgbrConfig}`, "--stanza=bench", "archive-push"]);
await cluster.configure({ archive_command: `'${`${zopsPush} %p && ${pgbrPush} %p`.replace(/'/g, "''")}'` });
await cluster.start();
const pgbr = (args: string[]): [string, string[]] => [
  "pgbackrest",
  [`--config=${pgbrConfig}`, "--stanza=bench", ...args],
];
await execa(...pgbr(["stanza-create"]), { uid, gid });

console.log(`pgbench -i -s ${scale} ...`);
const init = performance.now();
await cluster.exec("pgbench", ["-i", "-s", String(scale), "-q", "postgres"], { timeoutMs: 3_600_000 });
await cluster.query("checkpoint");
// Let archiving catch up (both tools archive every segment), so neither backup pays for the load's backlog.
const waitArchived = async () => {
  const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
  for (;;) {
    const [state] = await cluster.query<{ last: string | null }>(
      "select last_archived_wal as last from pg_stat_archiver",
    );
    if (state?.last && row && state.last >= row.name) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
await waitArchived();
console.log(
  `  initialized in ${((performance.now() - init) / 1000).toFixed(1)} s; database ${mib(await du(cluster.dataDir))}`,
);

const [zopsFile, ...zopsPrefix] = zopsCommand();
const results: Record<
  string,
  {
    backup: number;
    backupPeak: number;
    backupTree: number;
    restore: number;
    restorePeak: number;
    restoreTree: number;
    stored: number;
  }
> = {};

// Settles the page cache before each measured step: earlier steps' dirty pages (and the discards of deleted
// restores) otherwise land on whichever tool runs next.
const settle = async () => {
  await execa("sync");
  await new Promise((resolve) => setTimeout(resolve, 2000));
};
const target = (tool: string) => join(root, `restore-${tool}`);
const restoreOnce = async (tool: "pgbackrest" | "zops") => {
  await rm(target(tool), { recursive: true, force: true });
  await settle();
  if (tool === "zops")
    return measure(zopsFile as string, [...zopsPrefix, "--config", configPath, "restore", "--to", target(tool)], {
      env: { ZOPS_QUIET: "1" },
    });
  await mkdir(target(tool));
  await asPostgres(target(tool));
  return measure(...pgbr(["restore", `--pg1-path=${target(tool)}`]), { uid, gid });
};

for (const tool of ["pgbackrest", "zops"] as const) {
  await waitArchived();
  await settle();
  if (tool === "zops") {
    // `zops backup` is the nightly job: after the database part it also takes data fingerprints (a full
    // read of every table), uploads and secrets. The comparison uses the database part's own time.
    const whole = await measure(
      zopsFile as string,
      [...zopsPrefix, "--config", configPath, "--json", "backup", "--type", "full"],
      { env: { ZOPS_QUIET: "1" } },
    );
    const report = JSON.parse(await readFile(whole.outputFile, "utf8")).result as {
      elapsedMs: number;
      database: { elapsedMs: number };
    };
    console.log(
      `  zops backup command ${(report.elapsedMs / 1000).toFixed(1)} ` +
        `s in all (database part ` +
        `${(report.database.elapsedMs / 1000).toFixed(1)} s)`,
    );
    const backup = { ...whole, seconds: report.database.elapsedMs / 1000 };
    results.zops = {
      backup: backup.seconds,
      backupPeak: backup.peak,
      backupTree: backup.peakTree,
      restore: Infinity,
      restorePeak: 0,
      restoreTree: 0,
      stored: await du(join(zopsRepo, "backups")),
    };
  } else {
    const backup = await measure(...pgbr(["backup", "--type=full"]), { uid, gid });
    results.pgbackrest = {
      backup: backup.seconds,
      backupPeak: backup.peak,
      backupTree: backup.peakTree,
      restore: Infinity,
      restorePeak: 0,
      restoreTree: 0,
      stored: await du(join(pgbrRepo, "backup")),
    };
  }
  console.log(`  ${tool}: backup ${results[tool]?.backup.toFixed(1)} s`);
}
// Restores on a quiet machine: the backups leave PostgreSQL checkpointing and archiving and gigabytes to write back.
const quiet = async () => {
  for (let waited = 0; waited < 60; waited += 1) {
    await execa("sync");
    const meminfo = await readFile("/proc/meminfo", "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(meminfo)?.[1] ?? 0);
    const load = Number((await readFile("/proc/loadavg", "utf8")).split(" ")[0]);
    if (kib("Dirty") + kib("Writeback") < 16 * 1024 && load < 1.5) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};
// Restores read only the repositories: PostgreSQL is stopped first (autovacuum of the freshly loaded tables and
// timed checkpoints would otherwise write gigabytes during whichever tool's run they fall into).
await cluster.stop("fast");
await quiet();
// Four each, in ABBAABBA order; the best time of each tool counts, all are printed.
for (const tool of ["pgbackrest", "zops", "zops", "pgbackrest", "pgbackrest", "zops", "zops", "pgbackrest"] as const) {
  const restore = await restoreOnce(tool);
  const entry = results[tool];
  if (entry) {
    results[tool] = {
      ...entry,
      restore: Math.min(entry.restore, restore.seconds),
      restorePeak: Math.max(entry.restorePeak, restore.peak),
      restoreTree: Math.max(entry.restoreTree, restore.peakTree),
    };
  }
  console.log(`  ${tool}: restore ${restore.seconds.toFixed(1)} s`);
  await rm(target(tool), { recursive: true, force: true });
}

const z = results.zops;
const p = results.pgbackrest;
if (z && p) {
  const rows = [
    ["", "zops", "pgBackRest", "zops/pgBackRest"],
    ["full backup (s)*", z.backup.toFixed(1), p.backup.toFixed(1), (z.backup / p.backup).toFixed(2)],
    ["restore (s)", z.restore.toFixed(1), p.restore.toFixed(1), (z.restore / p.restore).toFixed(2)],
    ["peak RSS backup", mib(z.backupPeak), mib(p.backupPeak), (z.backupPeak / p.backupPeak).toFixed(2)],
    ["  whole tree", mib(z.backupTree), mib(p.backupTree), (z.backupTree / p.backupTree).toFixed(2)],
    ["peak RSS restore", mib(z.restorePeak), mib(p.restorePeak), (z.restorePeak / p.restorePeak).toFixed(2)],
    ["  whole tree", mib(z.restoreTree), mib(p.restoreTree), (z.restoreTree / p.restoreTree).toFixed(2)],
    ["stored size", mib(z.stored), mib(p.stored), (z.stored / p.stored).toFixed(2)],
  ];
  console.log(
    `\n(* zops: the database part of \`zops backup\`, ` +
      `pg_backup_start to manifest written, WAL wait included; ` +
      `pgBackRest: the whole \`pgbackrest backup\`.)`,
  );
  console.log(
    `(peak RSS: the largest single process per /usr/bin/time; ` +
      `"whole tree": sum over the process tree, sampled every 50 ms)`,
  );
  console.log(
    `pgbench scale ${scale}, ${processes} processes, zstd level 3, ` +
      `file/posix repositories on the same disk; restore: best of 4 ` +
      `(ABBAABBA) once the machine is quiet, page cache synced before ` +
      `each step\n`,
  );
  for (const row of rows)
    console.log(row.map((cell, index) => (index === 0 ? cell.padEnd(18) : cell.padStart(16))).join(""));
}
if (process.env.BENCH_KEEP !== "1") await rm(root, { recursive: true, force: true });
