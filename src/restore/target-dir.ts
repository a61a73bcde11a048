import { chmod, chown, lchown, lstat, mkdir, readdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ZopsError, withLocalErrors } from "../errors/index.js";
import type { BackupManifest } from "../backup/manifest.js";
import type { OsUser } from "../pg/os-user.js";

/** Directories PostgreSQL needs even when the backup did not list them (e.g. pg_wal was a link). */
const REQUIRED_DIRECTORIES = ["pg_wal", "pg_wal/archive_status"];

/**
 * Checks the target and each tablespace location (mapped, else the original one): absent or empty, or anything with
 * `delta`; throws PRECONDITION naming it otherwise. Read-only.
 */
export const checkTargets = async (
  dir: string,
  manifest: BackupManifest,
  tablespaceMap: ReadonlyMap<string, string>,
  delta: boolean,
): Promise<"absent" | "empty" | "existing"> => {
  for (const space of manifest.tablespaces) {
    const location = tablespaceMap.get(space.oid) ?? space.location;
    const entries = await readdir(location).catch(() => [] as string[]);
    if (entries.length > 0 && !delta) {
      throw new ZopsError(
        "PRECONDITION",
        `tablespace '${space.name}' (oid ${space.oid}) would be restored into '${location}', which is not empty`,
        {
          hint: `map it elsewhere with --tablespace-map ${space.oid}=/new/dir (or add --delta to reuse it)`,
        },
      );
    }
  }
  return checkTarget(dir, delta);
};

/** Checks the target: absent or empty, or anything with `delta`; throws PRECONDITION naming it otherwise. Read-only. */
export const checkTarget = async (dir: string, delta: boolean): Promise<"absent" | "empty" | "existing"> => {
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return "absent";
  if (!info.isDirectory())
    throw new ZopsError("PRECONDITION", `restore target '${dir}' exists and is not a directory`, {
      hint: "choose another --to",
    });
  const entries = await readdir(dir);
  if (entries.length === 0) return "empty";
  if (!delta) {
    throw new ZopsError("PRECONDITION", `restore target '${dir}' is not empty (${entries.length} entries)`, {
      hint:
        "restore into an empty or new directory, or add --delta to " +
        "rewrite only the files that differ (stop PostgreSQL first)",
    });
  }
  if (entries.includes("postmaster.pid")) {
    throw new ZopsError(
      "PRECONDITION",
      `restore target '${dir}' holds postmaster.pid: PostgreSQL may be running there`,
      { hint: "stop PostgreSQL (pg_ctl stop -D DIR) before a delta restore" },
    );
  }
  return "existing";
};

/**
 * Creates the data directory (0700), every directory of the manifest with its mode, tablespace links for mapped
 * tablespaces, and the directories PostgreSQL requires; owned by `owner` when given. Idempotent.
 * @throws DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the path that could not be created.
 */
export const createDirectories = (
  dir: string,
  manifest: BackupManifest,
  tablespaceMap: ReadonlyMap<string, string>,
  owner: OsUser | undefined,
): Promise<void> =>
  withLocalErrors(`unable to create the directories of the restore in '${dir}'`, undefined, () =>
    createAll(dir, manifest, tablespaceMap, owner),
  );

const createAll = async (
  dir: string,
  manifest: BackupManifest,
  tablespaceMap: ReadonlyMap<string, string>,
  owner: OsUser | undefined,
): Promise<void> => {
  const own = async (path: string) => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await own(dir);
  for (const space of manifest.tablespaces) {
    const location = tablespaceMap.get(space.oid) ?? space.location;
    await mkdir(location, { recursive: true, mode: 0o700 });
    await own(location);
    await mkdir(join(dir, "pg_tblspc"), { recursive: true, mode: 0o700 });
    const link = join(dir, "pg_tblspc", space.oid);
    const existing = await lstat(link).catch(() => undefined);
    if (existing && !existing.isSymbolicLink()) await rm(link, { recursive: true, force: true });
    if (existing?.isSymbolicLink()) await rm(link);
    await symlink(location, link);
    if (owner) await lchown(link, owner.uid, owner.gid);
  }
  const directories = [
    ...manifest.directories,
    ...REQUIRED_DIRECTORIES.filter((path) => !manifest.directories.some((entry) => entry.path === path)).map(
      (path) => ({ path, mode: 0o700 }),
    ),
  ];
  for (const entry of directories.sort((a, b) => a.path.length - b.path.length)) {
    const path = join(dir, ...entry.path.split("/"));
    await mkdir(path, { recursive: true, mode: entry.mode });
    await chmod(path, entry.mode);
    await own(path);
  }
};

/** Parses --tablespace-map values `OID=DIR` (DIR absolute); throws USAGE on a malformed one. Pure. */
export const parseTablespaceMap = (values: readonly string[] = []): Map<string, string> => {
  const map = new Map<string, string>();
  for (const value of values) {
    const match = /^([0-9]+)=(\/.*)$/.exec(value);
    if (!match?.[1] || !match[2])
      throw new ZopsError("USAGE", `--tablespace-map '${value}' is not OID=/absolute/dir`, {
        hint: "see `zops backups ID` for the tablespace OIDs of a backup",
      });
    map.set(match[1], match[2]);
  }
  return map;
};

/**
 * Undoes a failed restore into a target that was absent or empty (and tablespace locations zops filled): removes what
 * was written, keeps an originally empty directory. Best effort.
 */
export const removePartialRestore = async (
  dir: string,
  state: "absent" | "empty",
  manifest: BackupManifest | undefined,
  tablespaceMap: ReadonlyMap<string, string>,
): Promise<void> => {
  for (const space of manifest?.tablespaces ?? []) {
    const location = tablespaceMap.get(space.oid) ?? space.location;
    for (const name of await readdir(location).catch(() => [] as string[]))
      await rm(join(location, name), { recursive: true, force: true });
  }
  if (state === "absent") {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(dir).catch(() => [] as string[]))
    await rm(join(dir, name), { recursive: true, force: true });
};
