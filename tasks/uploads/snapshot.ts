import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes, formatDuration } from "../../src/ui/output.js";
import { formatProgress } from "../../src/ui/run-tasks.js";
import { createUploadsSnapshot, type SnapshotResult } from "../../src/uploads/snapshot.js";

/** What the uploads part of `zops backup` leaves in the command context. */
export interface UploadsPartContext {
  uploads?: { result?: SnapshotResult; skipped?: string; error?: unknown; warnings: string[] };
}

/** Summarizes a finished snapshot in one line (for the task title and the report). */
export const describeUploadsSnapshot = (result: SnapshotResult): string =>
  `uploads snapshot ${result.id}: ${result.stats.files} files ` +
  `(${formatBytes(result.stats.bytes)}), ${result.stats.newFiles} ` +
  `new (${formatBytes(result.stats.newBytes)}), ` +
  `${formatBytes(result.bytesWritten)} written in ` +
  `${formatDuration(result.durationMs)}${result.stats.skipped ? `, ${result.stats.skipped} skipped` : ""}`;

/**
 * The uploads part of `zops backup` as one Listr task: skipped (with the reason) when uploads.paths is empty or
 * `disabled` says so; shows files and bytes/rate while running; records its result or error in ctx.uploads and never
 * touches other parts. No rollback by design: an interrupted snapshot leaves no manifest, its checkpointed packs are
 * reused by the next run and the rest is garbage-collected after the grace period.
 */
export const uploadsSnapshotTask = <Ctx extends UploadsPartContext>(
  storage: Storage,
  config: Pick<ZopsConfig, "uploads">,
  options: { disabled?: string } = {},
): ListrTask<Ctx> => ({
  title: "Uploads snapshot",
  skip: (ctx) => {
    const reason = options.disabled ?? (config.uploads.paths.length === 0 ? "no uploads.paths configured" : false);
    if (reason) ctx.uploads = { skipped: reason, warnings: [] };
    return reason;
  },
  task: async (ctx, task) => {
    const part: NonNullable<UploadsPartContext["uploads"]> = { warnings: [] };
    ctx.uploads = part;
    const started = performance.now();
    let shown = 0;
    try {
      part.result = await createUploadsSnapshot(storage, {
        paths: config.uploads.paths,
        packSizeBytes: config.uploads.packSizeMiB << 20,
        largeFileBytes: config.uploads.largeFileMiB << 20,
        compressLevel: config.uploads.compressLevel,
        concurrency: config.uploads.concurrency,
        onWarning: (message) => part.warnings.push(message),
        onProgress: (progress) => {
          if (performance.now() - shown < 1000 && progress.filesDone < progress.filesTotal) return;
          shown = performance.now();
          task.output =
            `${progress.filesDone}/${progress.filesTotal} files, read ` +
            `${formatProgress(progress.bytesRead, started)}, uploaded ` +
            `${formatBytes(progress.bytesUploaded)}`;
        },
      });
      task.title = describeUploadsSnapshot(part.result);
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});
