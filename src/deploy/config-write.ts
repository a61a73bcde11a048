import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import type { ConfigChange } from "./config-plan.js";
import { formatConffileTable, readConffileTable, storeShippedContent } from "./conffile-table.js";
import { backupFiles } from "./file-backup.js";
import type { JournalWriter } from "./journal.js";
import { resolveOwner } from "./owner.js";
import type { DeployPaths } from "./paths.js";

/**
 * Writes a release's config files as planned (install, .zops-dist, .zops-old) and the conffile table naming `version`
 * as their installer; journals the backups of every file first (undo puts them back). Each file is atomic; returns
 * how many config files were written.
 */
export const writeConfigChanges = async (
  changes: readonly ConfigChange[],
  version: string,
  paths: DeployPaths,
  backupDir: string,
  journal: JournalWriter,
): Promise<number> => {
  const writes: { path: string; content: Buffer; mode: number; uid?: number; gid?: number }[] = [];
  for (const change of changes) {
    const owner = await resolveOwner(change.owner, change.group);
    if (change.action === "install")
      writes.push({ path: change.path, content: change.shipped, mode: change.mode, ...owner });
    if (change.action === "keep-write-dist")
      writes.push({ path: `${change.path}.zops-dist`, content: change.shipped, mode: change.mode, ...owner });
    if (change.action === "replace-save-old") {
      const local = await readFile(change.path).catch(() => undefined);
      if (local) writes.push({ path: `${change.path}.zops-old`, content: local, mode: change.mode, ...owner });
      writes.push({ path: change.path, content: change.shipped, mode: change.mode, ...owner });
    }
  }
  const table = await readConffileTable(paths.conffileTable);
  const files = { ...table.files };
  for (const change of changes) {
    await storeShippedContent(paths.conffileStore, change.shippedSha, change.shipped);
    files[change.destination] = { sha256: change.shippedSha, version };
  }
  writes.push({
    path: paths.conffileTable,
    content: Buffer.from(formatConffileTable({ format: 1, files })),
    mode: 0o600,
  });
  const backups = await backupFiles(
    writes.map((write) => write.path),
    backupDir,
  );
  await journal.record({ kind: "files", files: backups });
  for (const write of writes) await writeFileAtomic(write.path, write.content, write);
  return writes.length - 1;
};
