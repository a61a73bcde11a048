// WAL archiving benchmark: zops wal-push vs pgBackRest archive-push (synchronous, posix repository, zst level 3)
// on the same real WAL segments in the same run, called one process per segment in order the way PostgreSQL's
// archiver does (renaming .ready to .done after each success); then whether archive_command = zops wal-push
// keeps up with `pgbench -c 8` for 60 s (peak .ready backlog, sampled every 100 ms).
//
//   apt-get update && apt-get install -y pgbackrest
//   node scripts/bundle.mjs && npx tsx bench/wal-push.ts [--segments 48] [--seconds 60] [--rounds 2]
import { execa } from "execa";
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { shellQuote, zopsCommand } from "../src/exec/self-command.js";
import { run } from "../src/exec/run.js";
import { writeMarker } from "../src/repo/repository.js";
import { FileStorage } from "../src/storage/file.js";
import { startCluster, type TestCluster } from "../test/support/postgres.js";
import { makeTempDir } from "../test/support/temp.js";

const { values } = parseArgs({
  options: {
    segments: { type: "string", default: "48" },
    seconds: { type: "string", default: "60" },
    rounds: { type: "string", default: "2" },
    "load-mark-done": { type: "boolean", default: false },
    "inherit-env": { type: "boolean", default: false },
  },
});
const SEGMENTS = Number(values.segments);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);

const PGBACKREST = "/usr/bin/pgbackrest";
const zops = zopsCommand();

const asPostgres = (cluster: TestCluster) => ({ uid: cluster.runAs?.uid, gid: cluster.runAs?.gid });
const chownR = async (path: string, cluster: TestCluster) => {
  if (cluster.runAs) await execa("chown", ["-R", `${cluster.runAs.uid}:${cluster.runAs.gid}`, path]);
};

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: readonly number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

// --- 1. real WAL segments -------------------------------------------------------------------------------------------
const captureDir = await makeTempDir("bench-capture");
const cluster = await startCluster({
  settings: {
    archive_mode: "on",
    archive_command: `'cp %p ${captureDir}/%f'`,
    max_wal_size: "'4GB'",
    wal_keep_size: "'4GB'",
    synchronous_commit: "off",
  },
});
const pgEnv = { PGHOST: cluster.socketDir, PGPORT: String(cluster.port), PGUSER: "postgres", PGDATABASE: "postgres" };
// The archiver's processes inherit the postmaster's environment. A PostgreSQL started by systemd (the Debian unit)
// has a minimal one; this sandbox's shell also sets NODE_EXTRA_CA_CERTS, which makes every Node start parse ~140
// certificates (~40 ms). Default: the systemd-like environment, for both tools; --inherit-env: this shell's.
const archiverEnv: Record<string, string | undefined> = values["inherit-env"]
  ? { ...process.env, ...pgEnv }
  : {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C.UTF-8",
      PGDATA: cluster.dataDir,
      ...pgEnv,
      ...(process.env.ZOPS_SELF ? { ZOPS_SELF: process.env.ZOPS_SELF } : {}),
    };
console.log(`generating ${SEGMENTS} segments of pgbench WAL...`);
await cluster.exec("pgbench", ["-i", "-s", "5", "-q"]);
// Whole-table updates of pgbench_accounts: realistic heap WAL (full-page images, tuples), ~1 segment per few seconds
// even on a busy box.
for (;;) {
  const names = (await readdir(captureDir)).filter((name) => /^[0-9A-F]{24}$/.test(name));
  if (names.length >= SEGMENTS) break;
  await cluster.query("update pgbench_accounts set abalance = abalance + 1, filler = md5(random()::text)");
  await cluster.query("checkpoint");
}
const segments = (await readdir(captureDir))
  .filter((name) => /^[0-9A-F]{24}$/.test(name))
  .sort()
  .slice(0, SEGMENTS);

// pgBackRest stanza on this cluster (needs it running), then stop it: the pushes read files only.
const base = await makeTempDir("bench");
const pgbrConf = join(base, "pgbackrest.conf");
const pgbrRepo = (round: number) => join(base, `pgbr-repo-${round}`);
const writePgbrConf = async (round: number) => {
  await mkdir(pgbrRepo(round), { recursive: true });
  await writeFile(
    pgbrConf,
    [
      "[global]",
      `repo1-path=${pgbrRepo(round)}`,
      "repo1-type=posix",
      "compress-type=zst",
      "compress-level=3",
      "archive-async=n",
      `log-path=${base}`,
      `lock-path=${base}/lock`,
      `spool-path=${base}/spool`,
      "log-level-console=warn",
      "log-level-file=off",
      "start-fast=y",
      "",
      "[bench]",
      `pg1-path=${cluster.dataDir}`,
      `pg1-socket-path=${cluster.socketDir}`,
      `pg1-port=${cluster.port}`,
      "pg1-user=postgres",
      "",
    ].join("\n"),
  );
  await chownR(base, cluster);
  await run(PGBACKREST, [`--config=${pgbrConf}`, "--stanza=bench", "stanza-create"], {
    ...asPostgres(cluster),
    errorCode: "INTERNAL",
    env: pgEnv,
  });
};

// A data-directory-shaped place holding the segments with .ready files (what archive_command sees).
const stage = async (label: string): Promise<string> => {
  const dir = join(await makeTempDir(label), "data");
  await mkdir(join(dir, "pg_wal", "archive_status"), { recursive: true });
  await mkdir(join(dir, "global"), { recursive: true });
  await cp(join(cluster.dataDir, "global", "pg_control"), join(dir, "global", "pg_control"));
  await cp(join(cluster.dataDir, "PG_VERSION"), join(dir, "PG_VERSION"));
  for (const name of segments) {
    await cp(join(captureDir, name), join(dir, "pg_wal", name));
    await writeFile(join(dir, "pg_wal", "archive_status", `${name}.ready`), "");
  }
  await chownR(dir, cluster);
  return dir;
};

// Calls `command` once per segment, in order, from the data directory, like PostgreSQL's archiver.
// Like PostgreSQL, it skips files whose .ready is gone (renamed to .done by a push-ahead with wal.markDone).
// CPU seconds (user + sys) of each call come from /usr/bin/time: on a shared machine they are steadier than wall time.
type Run = { totalMs: number; perCallMs: number[]; cpuSeconds: number; calls: number };
const archiveLikePostgres = async (dataDir: string, command: (name: string) => string[]): Promise<Run> => {
  const perCallMs: number[] = [];
  let cpuSeconds = 0;
  const started = performance.now();
  for (const name of segments) {
    const ready = join(dataDir, "pg_wal", "archive_status", `${name}.ready`);
    if (!(await readdir(join(dataDir, "pg_wal", "archive_status"))).includes(`${name}.ready`)) continue;
    const t = performance.now();
    const result = await run("/usr/bin/time", ["-f", "CPU %U %S", ...command(name)], {
      cwd: dataDir,
      ...asPostgres(cluster),
      errorCode: "INTERNAL",
      env: archiverEnv,
      extendEnv: false,
    });
    perCallMs.push(performance.now() - t);
    const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
    cpuSeconds += Number(cpu?.[1] ?? 0) + Number(cpu?.[2] ?? 0);
    // As PostgreSQL's archiver: a .ready that a background push-ahead renamed meanwhile (wal.markDone) is only a
    // warning.
    await rename(ready, join(dataDir, "pg_wal", "archive_status", `${name}.done`)).catch(() => undefined);
  }
  return { totalMs: performance.now() - started, perCallMs, cpuSeconds, calls: perCallMs.length };
};

const zopsConfig = async (repoDir: string, extra: Record<string, unknown> = {}): Promise<string> => {
  await writeMarker(new FileStorage(repoDir));
  const path = join(await makeTempDir("bench-cfg"), "zops.yml");
  await writeFile(path, stringify({ repository: { url: `file://${repoDir}` }, wal: { compressLevel: 3, ...extra } }), {
    mode: 0o644,
  });
  await chownR(repoDir, cluster);
  return path;
};

const TOOLS = ["zops", "zops-markDone", "pgbackrest"] as const;
const results: Record<(typeof TOOLS)[number], Run[]> = { zops: [], "zops-markDone": [], pgbackrest: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  await writePgbrConf(round);
  const order = round % 2 === 0 ? TOOLS : [...TOOLS].reverse();
  for (const tool of order) {
    const dataDir = await stage(`bench-${tool}`);
    if (tool === "pgbackrest") {
      results[tool].push(
        await archiveLikePostgres(dataDir, (name) => [
          PGBACKREST,
          `--config=${pgbrConf}`,
          "--stanza=bench",
          "archive-push",
          join(dataDir, "pg_wal", name),
        ]),
      );
    } else {
      const config = await zopsConfig(
        await makeTempDir("bench-repo"),
        tool === "zops-markDone" ? { markDone: true } : {},
      );
      results[tool].push(
        await archiveLikePostgres(dataDir, (name) => [...zops, "--config", config, "wal-push", `pg_wal/${name}`]),
      );
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}
await cluster.stop();

const summarize = (runs: Run[]) => {
  const best = runs.reduce((a, b) => (a.totalMs <= b.totalMs ? a : b));
  const all = runs.flatMap((r) => r.perCallMs);
  return {
    bestTotalMs: best.totalMs,
    segmentsPerSecond: (segments.length / best.totalMs) * 1000,
    msPerSegment: best.totalMs / segments.length,
    cpuMsPerSegment: (Math.min(...runs.map((r) => r.cpuSeconds)) * 1000) / segments.length,
    calls: best.calls,
    medianCallMs: median(all),
    p90CallMs: percentile(all, 0.9),
    maxCallMs: Math.max(...all),
  };
};
const summaries = Object.fromEntries(TOOLS.map((tool) => [tool, summarize(results[tool])])) as Record<
  (typeof TOOLS)[number],
  ReturnType<typeof summarize>
>;
console.log(
  `\n== archive ${segments.length} real segments in order, one ` +
    `process per .ready file (as PostgreSQL), ${ROUNDS} round(s), ` +
    `best round, ${values["inherit-env"] ? "this shell's environment" : "systemd-like archiver environment"} ==`,
);
console.log(
  `tool            wall total  ms/segment  segments/s  CPU ms/segment  processes  median call  p90 call  max call`,
);
for (const tool of TOOLS) {
  const s = summaries[tool];
  console.log(
    `${tool.padEnd(15)} ` +
      `${(s.bestTotalMs / 1000).toFixed(2).padStart(8)} s  ` +
      `${s.msPerSegment.toFixed(1).padStart(10)}  ` +
      `${s.segmentsPerSecond.toFixed(2).padStart(10)}  ` +
      `${s.cpuMsPerSegment.toFixed(1).padStart(14)}  ` +
      `${String(s.calls).padStart(9)}  ` +
      `${s.medianCallMs.toFixed(1).padStart(8)} ms  ` +
      `${s.p90CallMs.toFixed(1).padStart(6)} ms  ` +
      `${s.maxCallMs.toFixed(0).padStart(6)} ms`,
  );
}
for (const tool of TOOLS)
  console.log(
    `${tool} calls of the best round (ms, in order): ${results[tool]
      .reduce((a, b) => (a.totalMs <= b.totalMs ? a : b))
      .perCallMs.map((ms) => ms.toFixed(0))
      .join(" ")}`,
  );
for (const tool of ["zops", "zops-markDone"] as const) {
  const ratio = summaries[tool].segmentsPerSecond / summaries.pgbackrest.segmentsPerSecond;
  const cpu = summaries.pgbackrest.cpuMsPerSegment / summaries[tool].cpuMsPerSegment;
  console.log(
    `ratio ${tool}: ${ratio.toFixed(2)}x pgBackRest's segments/s ` +
      `(wall; >1 = faster), ${cpu.toFixed(2)}x by CPU per segment`,
  );
}

// --- 2. keeping up with pgbench -c 8 ------------------------------------------------------------------------------
if (SECONDS <= 0) {
  await cluster.destroy();
  process.exit(0);
}
const repoDir = await makeTempDir("bench-load-repo");
const loadConfig = await zopsConfig(repoDir, values["load-mark-done"] ? { markDone: true } : {});
const loaded = await startCluster({
  settings: {
    archive_mode: "on",
    archive_command: `'${shellQuote([...zops, "--config", loadConfig, "wal-push", "%p"]).replace(/'/g, "''")}'`,
    max_wal_size: "'1GB'",
  },
});
await loaded.exec("pgbench", ["-i", "-s", "10", "-q"]);
const statusDir = join(loaded.dataDir, "pg_wal", "archive_status");
const readyCount = async () => (await readdir(statusDir)).filter((name) => name.endsWith(".ready")).length;
// .ready files not yet in the repository: a pushed-ahead file keeps its .ready (spool mode) until PostgreSQL's call.
const spoolDir = join(loaded.dataDir, "pg_wal", "zops-spool", "push");
const unarchivedCount = async () => {
  const spooled = new Set(await readdir(spoolDir).catch(() => [] as string[]));
  return (await readdir(statusDir)).filter((name) => name.endsWith(".ready") && !spooled.has(name.slice(0, -6))).length;
};
// Start from an empty backlog (pgbench -i's own WAL archived first), so the peak measures the load alone.
const idleSince = performance.now();
while ((await readyCount()) > 0 && performance.now() - idleSince < 120_000)
  await new Promise((resolve) => setTimeout(resolve, 100));
const [before] = await loaded.query<{ lsn: string; archived: number }>(
  "select pg_current_wal_lsn()::text as lsn, archived_count::int as archived from pg_stat_archiver",
);
let peak = 0;
let peakUnarchived = 0;
let sampling = true;
const samples: number[] = [];
const sampler = (async () => {
  while (sampling) {
    const count = await readyCount();
    samples.push(count);
    peak = Math.max(peak, count);
    peakUnarchived = Math.max(peakUnarchived, await unarchivedCount());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
})();
console.log(
  `\nrunning pgbench -c 8 -T ${SECONDS} with archive_command = ` +
    `zops wal-push (markDone ${values["load-mark-done"]}) ...`,
);
const bench = await loaded.exec("pgbench", ["-c", "8", "-j", "2", "-T", String(SECONDS), "-n"]);
sampling = false;
await sampler;
const [after] = await loaded.query<{ bytes: string; archived: number; failed: number }>(
  `select (pg_current_wal_lsn() - '${before?.lsn}'::pg_lsn)::text ` +
    `as bytes, archived_count::int as archived, failed_count::int as ` +
    `failed from pg_stat_archiver`,
);
const drainStart = performance.now();
while ((await readyCount()) > 0 && performance.now() - drainStart < 120_000)
  await new Promise((resolve) => setTimeout(resolve, 100));
const tps = /tps = ([\d.]+)/.exec(bench.stdout)?.[1];
console.log(
  `pgbench: ${tps} tps, WAL written ` +
    `${(Number(after?.bytes) / 1048576).toFixed(0)} MiB ` +
    `(${(Number(after?.bytes) / 16777216).toFixed(1)} segments) in ` +
    `${SECONDS} s`,
);
console.log(
  `archiver: archive_command calls ` +
    `${Number(after?.archived) - Number(before?.archived)}, ` +
    `failed_count ${after?.failed}`,
);
if (Number(after?.failed) > 0) {
  const log = await readFile(loaded.logFile, "utf8").catch(() => "");
  console.log(
    log
      .split("\n")
      .filter((line) => /archiv|zops|HINT/.test(line))
      .slice(-20)
      .join("\n"),
  );
}
console.log(
  `peak .ready backlog: ${peak} (target <= 4); peak not yet in ` +
    `the repository (.ready without a push-ahead record): ` +
    `${peakUnarchived}; mean ` +
    `${(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length)).toFixed(2)} ` +
    `over ${samples.length} samples; drained ` +
    `${((performance.now() - drainStart) / 1000).toFixed(1)} s after the load`,
);
await loaded.destroy();
await cluster.destroy();
