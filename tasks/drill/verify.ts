import { join } from "node:path";
import type { ListrTask } from "listr2";
import { ZopsError, isZopsError, messageOf } from "../../src/errors/index.js";
import { runAmcheck } from "../../src/drill/amcheck.js";
import { checkSecretsArchive } from "../../src/secrets/check.js";
import { listSecretsArchives } from "../../src/secrets/catalog.js";
import { restoreSecrets } from "../../src/secrets/restore.js";
import { listUploadSnapshots, pickUploadSnapshotForBackup } from "../../src/uploads/catalog.js";
import { restoreUploads } from "../../src/uploads/restore.js";
import { formatBytes, formatDuration } from "../../src/ui/output.js";
import { recordCheck, type DrillContext, type DrillRequest } from "./context.js";

/**
 * Drill checks on the promoted cluster and the file archives: pg_amcheck on every database; the uploads snapshot taken
 * with the backup restored to scratch with every checksum; the latest secrets archive decrypted (with --identity) or
 * integrity-checked. Each records pass/fail/skip; a failure does not stop the others.
 */
export const drillVerifyTasks = (request: DrillRequest): ListrTask<DrillContext>[] => [
  {
    title: "pg_amcheck on every database",
    skip: (ctx) => {
      if (ctx.clusterUsable) return false;
      recordCheck(ctx, "pg_amcheck", "skip", "the restored cluster did not come up");
      return "the restored cluster did not come up";
    },
    task: async (ctx, task) => {
      const scratch = ctx.scratch;
      if (!scratch || !ctx.amcheck) throw new ZopsError("INTERNAL", "drill: amcheck before restore");
      const started = performance.now();
      const result = await runAmcheck(ctx.amcheck, scratch.socketDir, scratch.port, ctx.runAs, request.timeoutMs);
      if (!result.ok) {
        recordCheck(ctx, "pg_amcheck", "fail", result.output.split("\n").slice(0, 5).join(" | "));
        throw new ZopsError("VERIFY_FAILED", `amcheck found problems in the restored cluster:\n${result.output}`);
      }
      recordCheck(
        ctx,
        "pg_amcheck",
        "pass",
        `clean: ${result.checked} (${formatDuration(performance.now() - started)})`,
      );
      if (result.heapSkipped) recordCheck(ctx, "heap check", "skip", result.heapSkipped);
      task.title = "amcheck: clean";
    },
  },
  {
    title: "Restore the backup's uploads snapshot and check every file",
    skip: async (ctx) => {
      if ((await listUploadSnapshots(request.storage)).length > 0) return false;
      recordCheck(ctx, "uploads", "skip", "no uploads snapshot in the repository");
      return "no uploads snapshot in the repository";
    },
    task: async (ctx, task) => {
      const scratch = ctx.scratch;
      if (!scratch) throw new ZopsError("INTERNAL", "drill: uploads before scratch");
      try {
        const snapshots = await listUploadSnapshots(request.storage);
        const chosen = ctx.manifest
          ? pickUploadSnapshotForBackup(snapshots, new Date(ctx.manifest.startedAt))
          : undefined;
        const result = await restoreUploads(request.storage, chosen?.id ?? "latest", join(scratch.root, "uploads"));
        recordCheck(
          ctx,
          "uploads",
          "pass",
          `snapshot ${result.id}: ${result.files} files, ${formatBytes(result.bytes)}, every SHA-256 matches`,
        );
        task.title = `Uploads snapshot ${result.id}: ${result.files} files verified`;
      } catch (error) {
        recordCheck(ctx, "uploads", "fail", messageOf(error));
        throw error;
      }
    },
  },
  {
    title: "Check the latest secrets archive",
    skip: async (ctx) => {
      if ((await listSecretsArchives(request.storage)).length > 0) return false;
      recordCheck(ctx, "secrets", "skip", "no secrets archive in the repository");
      return "no secrets archive in the repository";
    },
    task: async (ctx, task) => {
      const scratch = ctx.scratch;
      if (!scratch) throw new ZopsError("INTERNAL", "drill: secrets before scratch");
      try {
        if (request.identityFile) {
          const result = await restoreSecrets(
            request.storage,
            "latest",
            join(scratch.root, "secrets"),
            request.identityFile,
            { owners: false },
          );
          recordCheck(ctx, "secrets", "pass", `archive ${result.id} decrypted: ${result.files.length} files`);
        } else {
          const report = await checkSecretsArchive(request.storage, "latest");
          if (!report.ok)
            throw new ZopsError("VERIFY_FAILED", `secrets archive ${report.id}: ${report.problems.join("; ")}`);
          recordCheck(
            ctx,
            "secrets",
            "pass",
            `archive ${report.id}: checksum and age header intact (no --identity: not decrypted)`,
          );
        }
        task.title = "Secrets archive checked";
      } catch (error) {
        recordCheck(ctx, "secrets", "fail", isZopsError(error) ? error.message : messageOf(error));
        throw error;
      }
    },
  },
];
