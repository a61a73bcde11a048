import { access, chown, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BackupManifest } from "../backup/manifest.js";
import { ZopsError } from "../errors/index.js";
import { isProcessAlive } from "../exec/process-alive.js";
import type { OsUser } from "../pg/os-user.js";
import type { Storage } from "../storage/storage.js";
import { newestArchivedSegment } from "../wal/catalog.js";
import { segmentRange, segmentStartLsn } from "../pg/wal-segment.js";
import { parseLsn } from "../pg/lsn.js";
import { proveTargetReached } from "./prove-target.js";
import type { RecoveryTarget } from "./recovery-settings.js";
import type { TargetPoint } from "./target-point.js";

/** How a started restore ended its recovery. */
export interface RecoveryOutcome {
  readonly state: "promoted" | "paused" | "shutdown";
  /** Last LSN replayed (when the server is up to ask). */
  readonly replayLsn?: string;
  /** PostgreSQL's own words about where it stopped ("recovery stopping ..."), when a target was set. */
  readonly stoppedAt?: string;
  /** Time of the last replayed commit or abort (pg_last_xact_replay_timestamp), when the server was up to ask. */
  readonly lastCommitTime?: string;
  /** The newest archived segment the replay had to reach (end-of-WAL restores). */
  readonly expectedSegment?: string;
  readonly logFile: string;
}

/** One line for people: the recovery state, where replay stopped and PostgreSQL's "recovery stopping" line. Pure. */
export const describeRecovery = (recovery: RecoveryOutcome): string =>
  [
    recovery.state,
    recovery.replayLsn ? ` at ${recovery.replayLsn}` : "",
    recovery.stoppedAt ? ` (${recovery.stoppedAt})` : "",
  ].join("");

const SHORT = /recovery ended before configured recovery target was reached/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts PostgreSQL on a restored directory (pg_ctl as `runAs`), waits until recovery reaches its end (promoted, paused
 * or shut down as asked), and proves where it stopped: for a target, at it and not past it (prove-target.ts, from the
 * "recovery stopping" line, the replay LSN and the last replayed commit time); for end-of-WAL, inside the newest
 * archived segment. Throws VERIFY_FAILED when replay stopped short (naming the first missing segment) or went past the
 * target (naming target and stop point), POSTGRES when the server fails, both with the log tail.
 */
export const startAndAwaitRecovery = async (
  dir: string,
  manifest: BackupManifest,
  target: RecoveryTarget,
  point: TargetPoint,
  options: {
    binDir: string;
    runAs?: OsUser;
    user: string;
    timeoutMs: number;
    storage: Storage;
    onState?: (text: string) => void;
  },
): Promise<RecoveryOutcome> => {
  const logFile = join(dir, "zops-restore.log");
  const expected =
    target.time || target.lsn || target.name || target.immediate
      ? undefined
      : await newestArchivedSegment(options.storage, manifest.walStart);
  await ensureConfigFiles(dir, options.runAs);
  await writeFile(logFile, "");
  if (options.runAs) await chown(logFile, options.runAs.uid, options.runAs.gid);
  const seconds = Math.max(1, Math.round(options.timeoutMs / 1000));
  const { run } = await import("../exec/run.js");
  const started = await run(
    join(options.binDir, "pg_ctl"),
    ["start", "-D", dir, "-l", logFile, "-w", "-t", String(seconds)],
    { uid: options.runAs?.uid, gid: options.runAs?.gid, reject: false, timeoutMs: options.timeoutMs + 10_000 },
  );
  const readLog = () => readFile(logFile, "utf8").catch(() => "");
  const deadline = Date.now() + options.timeoutMs;
  let state: RecoveryOutcome["state"] | undefined;
  let replayLsn: string | undefined;
  let lastCommitTime: string | undefined;
  if (started.failed) {
    const log = await readLog();
    if (target.action === "shutdown" && /recovery stopping/.test(log) && !/FATAL/.test(log)) state = "shutdown";
    else throw failure(log, `PostgreSQL did not start on '${dir}'`, "POSTGRES");
  }
  while (!state) {
    if (Date.now() > deadline)
      throw failure(await readLog(), `recovery of '${dir}' did not finish within ${seconds} s`, "POSTGRES");
    const facts = await askServer(dir, options.user).catch(() => undefined);
    if (!facts) {
      const log = await readLog();
      if (SHORT.test(log))
        throw failure(
          log,
          "replay stopped short of the recovery target: the archived WAL ends before it",
          "VERIFY_FAILED",
        );
      if (/FATAL|PANIC/.test(log) && !(await isRunning(dir)))
        throw failure(log, `PostgreSQL stopped during recovery of '${dir}'`, "VERIFY_FAILED");
      if (target.action === "shutdown" && /recovery stopping/.test(log) && !(await isRunning(dir))) state = "shutdown";
      await sleep(250);
      continue;
    }
    replayLsn = facts.replayLsn ?? replayLsn;
    lastCommitTime = facts.lastCommitTime ?? lastCommitTime;
    if (!facts.inRecovery) state = "promoted";
    else if (facts.paused && target.action === "pause") state = "paused";
    else {
      options.onState?.(`replaying, at ${facts.replayLsn ?? "?"}`);
      await sleep(250);
    }
  }
  const log = await readLog();
  if (SHORT.test(log))
    throw failure(log, "replay stopped short of the recovery target: the archived WAL ends before it", "VERIFY_FAILED");
  const stoppedAt = /recovery stopping [^\n]*/.exec(log)?.[0];
  if ((target.time || target.lsn || target.name) && !stoppedAt)
    throw failure(log, "PostgreSQL ended recovery without reaching the recovery target", "VERIFY_FAILED");
  proveTargetReached(manifest, point, { replayLsn, lastCommitTime, stoppingLine: stoppedAt });
  if (expected?.newest && replayLsn) {
    const reached = parseLsn(replayLsn);
    if (reached < segmentStartLsn(expected.newest, manifest.walSegmentSize)) {
      const missing = segmentRange(manifest.walStop, expected.newest, manifest.walSegmentSize).find(
        (name) => !expected.present.has(name),
      );
      throw new ZopsError(
        "VERIFY_FAILED",
        `replay stopped at ${replayLsn}, short of the newest archived ` +
          `segment ${expected.newest}${missing ? `: WAL segment ${missing} is missing from the repository` : ""}`,
        {
          hint:
            "the WAL chain has a gap: run `zops verify`; restore with " +
            "--target-lsn/--target-time before the gap, or take a new backup",
          details: { replayLsn, expectedSegment: expected.newest, missing },
        },
      );
    }
  }
  return { state, replayLsn, stoppedAt, lastCommitTime, expectedSegment: expected?.newest, logFile };
};

const failure = (log: string, message: string, code: "POSTGRES" | "VERIFY_FAILED"): ZopsError => {
  const tail = log.trim().split("\n").slice(-8).join("\n    ");
  return new ZopsError(code, `${message}${tail ? `; PostgreSQL log:\n    ${tail}` : ""}`, {
    hint: "read the PostgreSQL log in the restored directory (zops-restore.log)",
  });
};

// Reads postmaster.pid for the socket directory and port, then asks recovery state and replay LSN.
const askServer = async (
  dir: string,
  user: string,
): Promise<{ inRecovery: boolean; paused: boolean; replayLsn?: string; lastCommitTime?: string }> => {
  const lines = (await readFile(join(dir, "postmaster.pid"), "utf8")).split("\n");
  const port = Number(lines[3]);
  const host = lines[4]?.trim() || lines[5]?.trim() || "localhost";
  // Loaded here: a restore without --start never needs the driver (~180 KB of JS to compile at start-up).
  const { newPgClient } = await import("../pg/connect.js");
  const client = newPgClient({ host, port, user, database: "postgres", connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const row = (
      await client.query<{ recovery: boolean; paused: boolean; lsn: string | null; xact: string | null }>(
        "select pg_is_in_recovery() as recovery, case when " +
          "pg_is_in_recovery() then pg_is_wal_replay_paused() else false " +
          "end as paused, pg_last_wal_replay_lsn()::text as lsn, " +
          "pg_last_xact_replay_timestamp()::text as xact",
      )
    ).rows[0];
    return {
      inRecovery: row?.recovery ?? true,
      paused: row?.paused ?? false,
      replayLsn: row?.lsn ?? undefined,
      lastCommitTime: row?.xact ?? undefined,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
};

const isRunning = async (dir: string): Promise<boolean> => {
  const pid = Number((await readFile(join(dir, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0]);
  return pid > 0 && isProcessAlive(pid);
};

// Debian keeps postgresql.conf and pg_hba.conf in /etc: give a restored directory minimal ones so it can start (local
// peer access only).
const ensureConfigFiles = async (dir: string, owner: OsUser | undefined): Promise<void> => {
  const defaults: Record<string, string> = {
    "postgresql.conf": "# written by zops restore: the backup had no postgresql.conf (Debian keeps it in /etc)\n",
    "pg_hba.conf": "# written by zops restore\nlocal all all peer\n",
  };
  for (const [name, content] of Object.entries(defaults)) {
    const path = join(dir, name);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    )
      continue;
    await writeFile(path, content, { mode: 0o600 });
    if (owner) await chown(path, owner.uid, owner.gid);
  }
};
