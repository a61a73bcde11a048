import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../deploy/atomic-write.js";
import { ZopsError, messageOf } from "../errors/index.js";

/**
 * Writes one `zops check` report to `path` atomically (temp file beside it, fsync, rename): a reader such as
 * node_exporter's textfile collector sees the previous report or the new one, never half of one. A new file gets mode
 * 0644; an existing one keeps its mode and owner. The directory must exist (a typo never creates directories).
 * @throws PRECONDITION naming the file when its directory is missing or the write fails.
 */
export const writeCheckOutput = async (path: string, text: string): Promise<void> => {
  const dir = dirname(path);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new ZopsError("PRECONDITION", `unable to write '${path}': directory '${dir}' does not exist`, {
      hint: "create the directory (for node_exporter: its --collector.textfile.directory) or fix --output",
    });
  try {
    await writeFileAtomic(path, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o644 });
  } catch (error) {
    throw new ZopsError("PRECONDITION", `unable to write '${path}': ${messageOf(error)}`, {
      hint: "check the directory's owner and permissions, and free space",
      cause: error,
    });
  }
};
