import { access } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ZopsError } from "../errors/index.js";

/**
 * Throws PRECONDITION unless PostgreSQL has marked WAL file `path` for archiving (`archive_status/<name>.ready`, or
 * `.done` once archived): a file without the mark may be the segment PostgreSQL is still writing, and storing it would
 * make PostgreSQL's own call for the finished file conflict. Reads only the status directory.
 */
export const assertMarkedReady = async (path: string): Promise<void> => {
  const name = basename(path);
  const status = join(dirname(resolve(path)), "archive_status");
  const marked = async (suffix: string) =>
    access(join(status, `${name}${suffix}`)).then(
      () => true,
      () => false,
    );
  if ((await marked(".ready")) || (await marked(".done"))) return;
  throw new ZopsError(
    "PRECONDITION",
    `WAL file '${path}' is not marked ready by PostgreSQL (no ${join(status, `${name}.ready`)}): it may be the ` +
      "segment PostgreSQL is still writing, and archiving it now would store an unfinished copy; nothing was stored",
    {
      hint:
        "to test archiving, run select pg_switch_wal() and watch pg_stat_archiver (or zops check --archive); " +
        "--force archives the file anyway",
      details: { path, statusDir: status },
    },
  );
};
