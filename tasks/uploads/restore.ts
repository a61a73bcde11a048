import type { ListrTask } from "listr2";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes, formatDuration } from "../../src/ui/output.js";
import { formatProgress } from "../../src/ui/run-tasks.js";
import { restoreUploads, type RestoreUploadsResult } from "../../src/uploads/restore.js";

/** What an uploads restore leaves in the command context. */
export interface UploadsRestoreContext {
  uploadsRestore?: { result?: RestoreUploadsResult; error?: unknown };
}

/**
 * `zops restore --uploads-to DIR [--path P]...` as a Listr task (bytes and rate while downloading); every file's
 * checksum is verified. Files written before a failure stay (restore targets are scratch or operator-chosen
 * directories; the error names every damaged file).
 */
export const restoreUploadsTask = <Ctx extends UploadsRestoreContext>(
  storage: Storage,
  options: { snapshot: string; targetDir: string; paths?: readonly string[] },
): ListrTask<Ctx> => ({
  title: `Restore uploads ${options.snapshot} to ${options.targetDir}`,
  task: async (ctx, task) => {
    const part: NonNullable<UploadsRestoreContext["uploadsRestore"]> = {};
    ctx.uploadsRestore = part;
    const started = performance.now();
    let shown = 0;
    try {
      part.result = await restoreUploads(storage, options.snapshot, options.targetDir, {
        paths: options.paths,
        onProgress: (progress) => {
          if (performance.now() - shown < 1000 && progress.filesDone < progress.filesTotal) return;
          shown = performance.now();
          task.output =
            `${progress.filesDone}/${progress.filesTotal} files, downloaded ` +
            `${formatProgress(progress.bytesDownloaded, started)}`;
        },
      });
      task.title =
        `Restored uploads snapshot ${part.result.id} to ` +
        `${options.targetDir}: ${part.result.files} files ` +
        `(${formatBytes(part.result.bytes)}), all checksums verified, in ` +
        `${formatDuration(part.result.durationMs)}`;
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});
