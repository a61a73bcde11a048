// What a base backup leaves out, following PostgreSQL's "Backing up the data directory" rules
// (and pg_basebackup): paths are relative to the data directory, `/`-separated.

/** Directories whose contents are skipped (the directory itself is kept, empty). */
const EMPTIED_DIRECTORIES = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
]);

/** Files at the top of the data directory that are never copied. */
const TOP_LEVEL_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_label.old",
  "postgresql.auto.conf.tmp",
  "current_logfiles.tmp",
  "recovery.signal",
  "standby.signal",
]);

const TEMP_RELATION = /^t[0-9]+_[0-9]+(_(fsm|vm|init))?(\.[0-9]+)?$/;

/**
 * True when an entry must be skipped; `extraEmptied` adds directories (e.g. a WAL spool inside the data directory).
 * Pure.
 */
export const isExcluded = (path: string, extraExcluded: readonly string[] = []): boolean => {
  const parts = path.split("/");
  const name = parts[parts.length - 1] ?? "";
  if (parts.length === 1 && TOP_LEVEL_FILES.has(name)) return true;
  if (parts.length >= 2 && EMPTIED_DIRECTORIES.has(parts[0] ?? "")) return true;
  if (name.startsWith("pgsql_tmp") || name === "pg_internal.init") return true;
  if (TEMP_RELATION.test(name) && (parts[0] === "base" || parts[0] === "pg_tblspc")) return true;
  return extraExcluded.some((excluded) => path === excluded || path.startsWith(`${excluded}/`));
};

/** Relation file name parts: `<relfilenode>[_fork][.segment]`. */
const RELATION_FILE = /^([0-9]+)(?:_(fsm|vm|init))?(?:\.[0-9]+)?$/;

/**
 * Names of files in one database directory that belong to unlogged relations (all forks but `_init`); PostgreSQL resets
 * them from the init fork at recovery. Pure.
 */
export const unloggedRelationFiles = (names: readonly string[]): Set<string> => {
  const unlogged = new Set<string>();
  for (const name of names) {
    const match = RELATION_FILE.exec(name);
    if (match?.[1] && match[2] === "init") unlogged.add(match[1]);
  }
  const skipped = new Set<string>();
  if (unlogged.size === 0) return skipped;
  for (const name of names) {
    const match = RELATION_FILE.exec(name);
    if (match?.[1] && unlogged.has(match[1]) && match[2] !== "init") skipped.add(name);
  }
  return skipped;
};
