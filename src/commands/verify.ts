import { readManifest, type BackupManifest } from "../backup/manifest.js";
import { openPiecePool } from "../backup/piece-pool.js";
import { scanBackups } from "../backup/scan-backups.js";
import { ZopsError } from "../errors/index.js";
import { openRepository } from "../repo/repository.js";
import { openStorage } from "../storage/open.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { createTasks } from "../ui/run-tasks.js";
import { verifyBackupObjects } from "../verify/verify-backup.js";
import { verifyWalChain, type WalChainReport } from "../verify/verify-wal.js";
import { formatProgress } from "../ui/run-tasks.js";
import { checkSecretsArchive } from "../secrets/check.js";
import { listSecretsArchives } from "../secrets/catalog.js";
import { listUploadSnapshots } from "../uploads/catalog.js";
import { verifyUploadsSnapshot } from "../uploads/verify.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

interface VerifyContext {
  backups: BackupManifest[];
  problems: string[];
  wal?: WalChainReport;
}

/** Reads the repository: expire deletes nothing meanwhile. */
export const meta: CommandMeta = { lock: "repo-read", exits: STANDARD_EXITS };

/**
 * `zops verify [ID]`: re-reads every stored object of the backups (or one) and checks every checksum, then the WAL
 * chain from each backup's start to the newest archived segment; without ID also the uploads snapshots (the newest
 * re-read in full, older ones checked for presence and size: packs are shared) and every secrets archive (checksum and
 * age header). A damaged manifest is one problem; the other backups are still verified. Read-only. Throws VERIFY_FAILED
 * listing every problem.
 */
export const runVerify = async (globals: GlobalOptions, backupId?: string): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  const pool = openPiecePool(config.backup.processes);
  try {
    await openRepository(storage);
    const scan = backupId
      ? { backups: [await readManifest(storage, backupId)], damaged: [] }
      : await scanBackups(storage);
    const ctx: VerifyContext = {
      backups: scan.backups,
      problems: scan.damaged.map((damaged) => `backup ${damaged.id}: ${damaged.reason}`),
    };
    const done = new Set<string>();
    const tasks = createTasks<VerifyContext>(
      [
        ...ctx.backups.map((backup) => ({
          title: `Verify backup ${backup.id} (${backup.objects.length} objects)`,
          task: async (_ctx: VerifyContext, task: { output: string; title: string }) => {
            const started = performance.now();
            const problems = await verifyBackupObjects(storage, pool, backup, done, (progress) => {
              task.output = `${progress.objects}/${progress.total} objects, ${formatProgress(progress.bytes, started)}`;
            });
            ctx.problems.push(...problems);
            task.title =
              `Backup ${backup.id}: ` +
              `${problems.length === 0 ? "every checksum matches" : `${problems.length} problems`}`;
          },
        })),
        {
          title: "Verify the WAL chain",
          task: async (_ctx: VerifyContext, task: { output: string; title: string }) => {
            ctx.wal = await verifyWalChain(storage, ctx.backups, (checked, total) => {
              task.output = `${checked}/${total} WAL files`;
            });
            for (const gap of ctx.wal.gaps)
              ctx.problems.push(
                `backup ${gap.backup}: WAL gap between ${gap.from} and ${gap.to}: missing ${gap.missing.join(", ")}`,
              );
            ctx.problems.push(...ctx.wal.corrupt);
            task.title =
              `WAL chain: ${ctx.wal.checked} files checked, ` +
              (ctx.wal.gaps.length === 0 ? "no gaps" : `${ctx.wal.gaps.length} backups with gaps`) +
              (ctx.wal.newest ? `, newest ${ctx.wal.newest}` : "");
          },
        },
        {
          title: "Verify uploads snapshots",
          skip: () => (backupId ? "a single backup was asked for" : false),
          task: async (_ctx: VerifyContext, task: { output: string; title: string }) => {
            const snapshots = await listUploadSnapshots(storage);
            for (const [index, snapshot] of snapshots.entries()) {
              const deep = index === snapshots.length - 1;
              task.output = `snapshot ${snapshot.id}${deep ? " (every file re-read)" : ""}`;
              const report = await verifyUploadsSnapshot(storage, snapshot.id, { deep });
              ctx.problems.push(...report.problems.map((problem) => `uploads snapshot ${snapshot.id}: ${problem}`));
            }
            task.title =
              snapshots.length === 0
                ? "No uploads snapshots"
                : `Uploads: ${snapshots.length} snapshots checked, the newest re-read in full`;
          },
        },
        {
          title: "Verify secrets archives",
          skip: () => (backupId ? "a single backup was asked for" : false),
          task: async (_ctx: VerifyContext, task: { output: string; title: string }) => {
            const archives = await listSecretsArchives(storage);
            for (const archive of archives) {
              const report = await checkSecretsArchive(storage, archive.id);
              ctx.problems.push(...report.problems.map((problem) => `secrets archive ${archive.id}: ${problem}`));
            }
            task.title =
              archives.length === 0
                ? "No secrets archives"
                : `Secrets: ${archives.length} archives checked (checksum and age header)`;
          },
        },
      ],
      globals,
    );
    await tasks.run(ctx);
    const json = {
      ok: ctx.problems.length === 0,
      backups: ctx.backups.map((backup) => backup.id),
      walChecked: ctx.wal?.checked,
      newestWal: ctx.wal?.newest,
      problems: ctx.problems,
    };
    if (ctx.problems.length > 0) {
      throw new ZopsError(
        "VERIFY_FAILED",
        `verify found ${ctx.problems.length} ` +
          `problem${ctx.problems.length === 1 ? "" : "s"}:\n  ` +
          `${ctx.problems.join("\n  ")}`,
        {
          hint: "restore from a backup without problems; take a new full backup (zops backup --type full)",
          details: { problems: ctx.problems },
        },
      );
    }
    return {
      text:
        `verified ${ctx.backups.length} backups and ` +
        `${ctx.wal?.checked ?? 0} WAL files: every checksum matches, no ` +
        `WAL gaps${backupId ? "" : "; uploads snapshots and secrets archives intact"}`,
      json,
    };
  } finally {
    await pool.close();
    await storage.close?.();
  }
};
