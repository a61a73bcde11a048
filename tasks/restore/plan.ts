import type { ListrTask } from "listr2";
import type { BackupManifest } from "../../src/backup/manifest.js";
import { openRepository } from "../../src/repo/repository.js";
import { chooseRestore, type RestoreChoice } from "../../src/restore/choose-restore.js";
import { planRestore, type RestorePlan } from "../../src/restore/plan-restore.js";
import type { RecoveryTarget } from "../../src/restore/recovery-settings.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";

/** What `zops restore --plan` leaves in its context. */
export interface RestorePlanContext {
  choice?: RestoreChoice;
  plan?: RestorePlan;
}

/**
 * `zops restore --plan` as tasks over a storage that refuses writes: choose what a restore would restore (the same
 * selection as a restore), then check every object and the WAL range and add up bytes and disk. Read-only.
 */
export const restorePlanTasks = <Ctx extends RestorePlanContext>(
  storage: Storage,
  request: {
    readonly target: RecoveryTarget;
    readonly to?: string;
    readonly backup?: string;
    readonly uploads: boolean | string;
    readonly secrets: boolean | string;
    readonly prefetch: number;
  },
): ListrTask<Ctx>[] => [
  {
    title: "Choose what to restore",
    task: async (ctx, task) => {
      await openRepository(storage);
      ctx.choice = await chooseRestore(storage, request.target, {
        database: request.to !== undefined,
        backup: request.backup,
        uploads: request.uploads,
        secrets: request.secrets,
      });
      task.title = ctx.choice.manifest
        ? `Backup ${ctx.choice.manifest.id} for recovery to ${ctx.choice.point.text}`
        : `Files for ${ctx.choice.point.text}`;
    },
  },
  {
    title: "Check every object, the WAL range and the disk",
    skip: (ctx) => (ctx.choice?.manifest ? false : "no database restore asked for (--to)"),
    task: async (ctx, task) => {
      const choice = ctx.choice as RestoreChoice & { manifest: BackupManifest };
      ctx.plan = await planRestore(storage, choice, { to: request.to, prefetch: request.prefetch });
      task.title =
        `${ctx.plan.objects.count} objects and ${ctx.plan.wal.segments} WAL segments, ` +
        `${formatBytes(ctx.plan.downloadBytes)} to download` +
        (ctx.plan.problems.length > 0 ? `; ${ctx.plan.problems.length} problems` : ", all present");
    },
  },
];
