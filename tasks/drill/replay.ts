import { join } from "node:path";
import type { ListrTask } from "listr2";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { ZopsError, messageOf } from "../../src/errors/index.js";
import { captureFingerprints, compareFingerprints } from "../../src/drill/fingerprint.js";
import type { DrillScratch } from "../../src/drill/scratch.js";
import { run } from "../../src/exec/run.js";
import { withPostgres } from "../../src/pg/connect.js";
import {
  recoverySettings,
  writeRecoveryBlock,
  writeRecoveryFiles,
  type RecoveryTarget,
} from "../../src/restore/recovery-settings.js";
import { startAndAwaitRecovery } from "../../src/restore/start-restored.js";
import { resolveTargetPoint } from "../../src/restore/target-point.js";
import { DEFAULT_ARCHIVE_WAIT, ensureArchivedThrough } from "../../src/drill/archive-point.js";
import { forceWalSwitch } from "../../src/pg/switch-wal.js";
import { segmentForLsn } from "../../src/pg/wal-segment.js";
import { formatDuration } from "../../src/ui/output.js";
import { recordCheck, type DrillContext, type DrillRequest } from "./context.js";

const need = (ctx: DrillContext): { manifest: BackupManifest; scratch: DrillScratch; binDir: string } => {
  if (!ctx.manifest || !ctx.scratch || !ctx.binDir) throw new ZopsError("INTERNAL", "drill: replay before restore");
  return { manifest: ctx.manifest, scratch: ctx.scratch, binDir: ctx.binDir };
};

const settingsFor = (request: DrillRequest, scratch: DrillScratch, target: RecoveryTarget) =>
  recoverySettings(request.configPath, target, { archiveMode: "off", extra: scratch.settings });

const scratchConnection = (request: DrillRequest, scratch: DrillScratch) => ({
  host: scratch.socketDir,
  port: scratch.port,
  user: request.config.postgres.user,
  database: "postgres",
});

const start = async (
  request: DrillRequest,
  ctx: DrillContext,
  target: RecoveryTarget,
  onState: (text: string) => void,
) => {
  const { manifest, scratch, binDir } = need(ctx);
  ctx.serverStarted = true;
  return startAndAwaitRecovery(scratch.dataDir, manifest, target, resolveTargetPoint(target, []), {
    binDir,
    runAs: ctx.runAs,
    user: request.config.postgres.user,
    timeoutMs: request.timeoutMs,
    storage: request.storage,
    onState,
  });
};

/** Stops the scratch cluster (fast); used between the two replay stages and at cleanup. */
export const stopScratch = async (ctx: DrillContext): Promise<void> => {
  if (!ctx.serverStarted || !ctx.scratch || !ctx.binDir) return;
  await run(join(ctx.binDir, "pg_ctl"), ["stop", "-D", ctx.scratch.dataDir, "-m", "fast", "-w", "-t", "120"], {
    uid: ctx.runAs?.uid,
    gid: ctx.runAs?.gid,
    reject: false,
  });
  ctx.serverStarted = false;
};

/**
 * Drill replay: (1) when fingerprints exist, make sure their LSN is archived (forcing a WAL switch on the source and
 * waiting a bounded number of looks; otherwise the check is "incomplete"), replay to that LSN, pause, and compare;
 * (2) move the target to the end of the archive, replay, promote, and prove the replay reached the newest archived
 * segment; then time the first query and read the RPO.
 */
export const drillReplayTasks = (request: DrillRequest): ListrTask<DrillContext>[] => [
  {
    title: "Replay to the fingerprint point and compare the data",
    enabled: (ctx) => ctx.clusterUsable,
    skip: async (ctx) => {
      const { manifest } = need(ctx);
      if (!ctx.fingerprints) {
        recordCheck(ctx, "data fingerprints", "skip", "no fingerprints were captured for this backup");
        return "no fingerprints were captured for this backup";
      }
      // Never skip the comparison silently: force the point into the archive, or call the drill incomplete.
      const wait = request.archiveWait ?? DEFAULT_ARCHIVE_WAIT;
      const point = await ensureArchivedThrough(request.storage, manifest, ctx.fingerprints.lsn, {
        switchWal: () => withPostgres(request.config.postgres, forceWalSwitch),
        wait,
        sleep: request.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      });
      ctx.newestArchivedSegment = point.newest;
      ctx.archiveLooks = point.looks;
      if (!point.archived) {
        const reason =
          `fingerprint LSN ${ctx.fingerprints.lsn} is still not archived after forcing a WAL switch on the source ` +
          `(${point.switchError ? `which failed: ${point.switchError}` : "done"}) and ${point.looks} looks at the ` +
          `archive (newest segment ${point.newest ?? "none"}): the data was not compared`;
        recordCheck(ctx, "data fingerprints", "incomplete", reason);
        return reason;
      }
      return false;
    },
    task: async (ctx, task) => {
      const { manifest, scratch } = need(ctx);
      const fingerprints = ctx.fingerprints;
      if (!fingerprints) return;
      const target: RecoveryTarget = { lsn: fingerprints.lsn, action: "pause" };
      await writeRecoveryFiles(scratch.dataDir, manifest, settingsFor(request, scratch, target), ctx.runAs);
      const started = performance.now();
      try {
        await start(request, ctx, target, (text) => (task.output = text));
      } catch (error) {
        ctx.clusterUsable = false;
        ctx.replayMs += performance.now() - started;
        recordCheck(ctx, "WAL replay", "fail", messageOf(error));
        throw error;
      }
      ctx.replayMs += performance.now() - started;
      const restored = await captureFingerprints(scratchConnection(request, scratch));
      const problems = compareFingerprints(fingerprints, restored);
      const tables = Object.values(fingerprints.databases).reduce(
        (sum, tablesOf) => sum + Object.keys(tablesOf).length,
        0,
      );
      const tolerated = Object.values(fingerprints.databases).reduce(
        (sum, tablesOf) => sum + Object.values(tablesOf).filter((table) => table.writesDuringCapture > 0).length,
        0,
      );
      await stopScratch(ctx);
      if (problems.length > 0) {
        const text = problems.map((problem) => `${problem.database}.${problem.table}: ${problem.problem}`).join("; ");
        recordCheck(ctx, "data fingerprints", "fail", text);
        throw new ZopsError(
          "VERIFY_FAILED",
          `restored data differs from the fingerprints taken at backup time: ${text}`,
        );
      }
      recordCheck(
        ctx,
        "data fingerprints",
        "pass",
        `${tables} tables in ` +
          `${Object.keys(fingerprints.databases).length} databases match ` +
          `at ${fingerprints.lsn}` +
          (tolerated ? ` (${tolerated} written during capture, row counts within tolerance)` : "") +
          ((ctx.archiveLooks ?? 1) > 1 ? "; the point was archived after a forced WAL switch on the source" : ""),
      );
      task.title = `Data at ${fingerprints.lsn} matches the fingerprints (${tables} tables)`;
    },
  },
  {
    title: "Replay to the end of the archived WAL and promote",
    enabled: (ctx) => ctx.clusterUsable,
    task: async (ctx, task) => {
      const { manifest, scratch } = need(ctx);
      const target: RecoveryTarget = { action: "promote" };
      const settings = settingsFor(request, scratch, target);
      if (
        ctx.fingerprints &&
        ctx.checks.some(
          (check) => check.name === "data fingerprints" && (check.status === "pass" || check.status === "fail"),
        )
      ) {
        await writeRecoveryBlock(scratch.dataDir, settings, ctx.runAs, "drill: replay to the end of the archive");
      } else {
        await writeRecoveryFiles(scratch.dataDir, manifest, settings, ctx.runAs);
      }
      const started = performance.now();
      try {
        const outcome = await start(request, ctx, target, (text) => (task.output = text));
        ctx.reachedLsn = outcome.replayLsn;
        ctx.newestArchivedSegment = outcome.expectedSegment ?? ctx.newestArchivedSegment;
      } catch (error) {
        ctx.clusterUsable = false;
        recordCheck(ctx, "WAL replay", "fail", messageOf(error));
        throw error;
      } finally {
        ctx.replayMs += performance.now() - started;
      }
      recordCheck(
        ctx,
        "WAL replay",
        "pass",
        // The segment the replay position lies in, computed (it once named the newest archived segment instead,
        // "0/8C000000, inside …8A"): at or past the newest segment archived when the replay began.
        `replayed to ${ctx.reachedLsn ?? "?"}` +
          (ctx.reachedLsn
            ? ` (in segment ${segmentForLsn(ctx.reachedLsn, manifest.timeline, manifest.walSegmentSize)})`
            : "") +
          `, reaching the newest archived segment ${ctx.newestArchivedSegment ?? "(none)"}`,
      );
      task.title = `Replayed to ${ctx.reachedLsn} and promoted (${formatDuration(ctx.replayMs)})`;
    },
  },
  {
    title: "First query",
    enabled: (ctx) => ctx.clusterUsable,
    task: async (ctx, task) => {
      const { scratch } = need(ctx);
      const started = performance.now();
      const row = await withPostgres(
        scratchConnection(request, scratch),
        async (client) =>
          (
            await client.query<{ last: Date | null; age: number | null }>(
              "select pg_last_xact_replay_timestamp() as last, extract(epoch " +
                "from (now() - pg_last_xact_replay_timestamp()))::float8 as age",
            )
          ).rows[0],
      ).catch((error: unknown) => {
        ctx.clusterUsable = false;
        recordCheck(ctx, "first query", "fail", messageOf(error));
        throw error;
      });
      ctx.firstQueryMs = performance.now() - started;
      ctx.readyMs = performance.now() - ctx.started;
      ctx.lastTransactionAt = row?.last?.toISOString();
      ctx.rpoSeconds = row?.age ?? undefined;
      task.title =
        `First query answered after ${formatDuration(ctx.readyMs)}; ` +
        `last replayed transaction ${ctx.lastTransactionAt ?? "none"}`;
    },
  },
];
