import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { ZopsError, messageOf } from "../errors/index.js";

/**
 * Writes a report a command was asked to put in a file (`check --output`, `report --html`) to `path` atomically (temp
 * file beside it, fsync, rename): a reader such as node_exporter's textfile collector sees the previous file or the
 * new one, never half of one. Text gets a final newline. A new file gets mode 0644; an existing one keeps its mode
 * and owner. The directory must exist (a typo never creates directories).
 * @throws PRECONDITION naming the file when its directory is missing or the write fails.
 */
export const writeOutputFile = async (path: string, text: string): Promise<void> => {
  const dir = dirname(path);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new ZopsError("PRECONDITION", `unable to write '${path}': directory '${dir}' does not exist`, {
      hint: "create the directory or fix the path",
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
