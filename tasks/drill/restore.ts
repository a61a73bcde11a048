import { join } from "node:path";
import type { ListrTask } from "listr2";
import { openPiecePool } from "../../src/backup/piece-pool.js";
import { describeSkipped } from "../../src/backup/restorable.js";
import { ZopsError, isZopsError } from "../../src/errors/index.js";
import type { Fingerprints } from "../../src/drill/fingerprint.js";
import { prepareScratch } from "../../src/drill/scratch.js";
import { planAmcheck } from "../../src/drill/amcheck.js";
import { findServerBinDir } from "../../src/pg/bin-dir.js";
import { postgresRunAs } from "../../src/pg/os-user.js";
import { fingerprintsKey } from "../../src/repo/layout.js";
import { openRepository } from "../../src/repo/repository.js";
import { chooseRestore } from "../../src/restore/choose-restore.js";
import { restoreFiles } from "../../src/restore/restore-files.js";
import { createDirectories } from "../../src/restore/target-dir.js";
import { getBuffer } from "../../src/storage/read.js";
import { formatBytes } from "../../src/ui/output.js";
import { formatProgress } from "../../src/ui/run-tasks.js";
import type { DrillContext, DrillRequest } from "./context.js";

const readFingerprints = async (request: DrillRequest, backupId: string): Promise<Fingerprints | undefined> => {
  try {
    return JSON.parse((await getBuffer(request.storage, fingerprintsKey(backupId))).toString("utf8")) as Fingerprints;
  } catch (error) {
    if (isZopsError(error, "STORAGE_NOT_FOUND")) return undefined;
    throw error;
  }
};

/**
 * Drill steps up to restored files: find the backup (restore's selection: the newest, or the one asked for) and its
 * fingerprints; check every tool the drill needs (the backup's major's server binaries, amcheck) before anything is
 * restored; prepare a scratch directory owned by postgres; download and verify every file (timed as RTO "download").
 */
export const drillRestoreTasks = (request: DrillRequest): ListrTask<DrillContext>[] => [
  {
    title: "Find the backup",
    task: async (ctx, task) => {
      await openRepository(request.storage);
      const choice = await chooseRestore(
        request.storage,
        { action: "promote" },
        {
          database: true,
          backup: request.backup,
        },
      );
      ctx.manifest = choice.manifest;
      const skipped = describeSkipped(choice.skipped);
      if (!ctx.manifest) throw new ZopsError("INTERNAL", "drill: no backup chosen");
      ctx.fingerprints = await readFingerprints(request, ctx.manifest.id);
      task.title =
        `Backup ${ctx.manifest.id} (${ctx.manifest.type}, ` +
        `${formatBytes(ctx.manifest.sizes.database)}, stopped ` +
        `${ctx.manifest.stoppedAt})${ctx.fingerprints ? "; data fingerprints present" : "; no data fingerprints"}` +
        skipped;
    },
  },
  {
    title: "Check the tools the drill needs",
    task: async (ctx, task) => {
      const manifest = ctx.manifest;
      if (!manifest) throw new ZopsError("INTERNAL", "drill: tools before the backup was found");
      ctx.binDir = await findServerBinDir(request.config.postgres, manifest.pgVersion);
      ctx.amcheck = await planAmcheck(ctx.binDir, manifest.pgVersion);
      task.title =
        `PostgreSQL ${manifest.pgVersion} binaries in ${ctx.binDir}; amcheck with ` +
        (ctx.amcheck.kind === "pg_amcheck" ? ctx.amcheck.tool : "the amcheck extension's functions");
    },
  },
  {
    title: "Prepare a scratch cluster directory",
    task: async (ctx, task) => {
      ctx.runAs = await postgresRunAs();
      ctx.scratch = await prepareScratch(request.config.drill.scratchDir, ctx.runAs);
      task.title = `Scratch cluster at ${ctx.scratch.root} (port ${ctx.scratch.port}, socket only)`;
    },
  },
  {
    title: "Download and verify the backup",
    task: async (ctx, task) => {
      const manifest = ctx.manifest;
      const scratch = ctx.scratch;
      if (!manifest || !scratch) throw new ZopsError("INTERNAL", "drill: restore before the backup was found");
      const tablespaces = new Map(
        manifest.tablespaces.map((space) => [space.oid, join(scratch.root, "tablespaces", space.oid)]),
      );
      await createDirectories(scratch.dataDir, manifest, tablespaces, ctx.runAs);
      const started = performance.now();
      const pool = openPiecePool(request.config.backup.processes);
      let last = 0;
      try {
        const files = await restoreFiles(request.storage, pool, manifest, scratch.dataDir, {
          delta: false,
          owner: ctx.runAs,
          onProgress: (progress) => {
            if (performance.now() - last < 500) return;
            last = performance.now();
            task.output = `${formatProgress(progress.bytes, started)} of ${formatBytes(progress.total)}`;
          },
        });
        ctx.downloadMs = performance.now() - started;
        const progress = formatProgress(files.bytes, started);
        task.title = `Restored ${files.written} files, ${progress}; every checksum verified`;
      } catch (error) {
        ctx.clusterUsable = false;
        throw error;
      } finally {
        await pool.close();
      }
    },
  },
];
