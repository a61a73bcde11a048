import { copyFile, lstat, mkdir, readdir, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { newPgClient } from "../../src/pg/connect.js";
import { run } from "../../src/exec/run.js";
import type { TestCluster } from "./postgres.js";

// A plain non-exclusive base backup without WAL (what `pg_basebackup -X none` makes), for any server major: the
// matrix's client tools are PostgreSQL 15's, and pg_basebackup refuses servers newer than itself.

const SKIP = new Set(["postmaster.pid", "postmaster.opts"]);
const EMPTY = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
]);

// Copies a live data directory; files that vanish meanwhile (temp files) are skipped, as pg_basebackup does.
const copyTree = async (from: string, to: string, relative = ""): Promise<void> => {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const name of await readdir(from).catch(() => [] as string[])) {
    const path = relative ? `${relative}/${name}` : name;
    if (SKIP.has(path)) continue;
    const info = await lstat(join(from, name)).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory()) {
      if (EMPTY.has(path)) await mkdir(join(to, name), { recursive: true, mode: 0o700 });
      else await copyTree(join(from, name), join(to, name), path);
    } else if (info.isSymbolicLink()) await symlink(await readlink(join(from, name)), join(to, name));
    else await copyFile(join(from, name), join(to, name)).catch(() => undefined);
  }
};

/** Takes a base backup of `cluster` into `dest` (created, owned by the cluster OS user); WAL comes from the archive. */
export const copyBaseBackup = async (cluster: TestCluster, dest: string): Promise<void> => {
  const client = newPgClient({ host: cluster.socketDir, port: cluster.port, user: "postgres", database: "postgres" });
  await client.connect();
  try {
    const version = (await client.query<{ server_version_num: string }>("show server_version_num")).rows[0];
    const major = Math.floor(Number(version?.server_version_num) / 1e4);
    await client.query(
      major >= 15 ? "select pg_backup_start('test', true)" : "select pg_start_backup('test', true, false)",
    );
    await copyTree(cluster.dataDir, dest);
    const stop = await client.query<{ labelfile: string }>(
      major >= 15
        ? "select labelfile from pg_backup_stop(false)"
        : "select labelfile from pg_stop_backup(false, false)",
    );
    await writeFile(join(dest, "backup_label"), stop.rows[0]?.labelfile ?? "", { mode: 0o600 });
    await mkdir(join(dest, "pg_wal", "archive_status"), { recursive: true, mode: 0o700 });
  } finally {
    await client.end();
  }
  if (cluster.runAs) await run("chown", ["-R", `${cluster.runAs.uid}:${cluster.runAs.gid}`, dest]);
};
