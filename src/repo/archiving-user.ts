import { execa } from "execa";
import { chown, mkdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { withLocalErrors, ZopsError } from "../errors/index.js";
import type { OsUser } from "../pg/os-user.js";

// The OS user PostgreSQL runs archive_command as (postgres.osUser): a repository set up by root must be writable by it,
// and `repo check` proves it by trying as that user.

/** The directory of a `file://` repository URL; undefined for any other kind. */
export const fileRepositoryRoot = (url: string): string | undefined =>
  url.startsWith("file:") ? fileURLToPath(url) : undefined;

/**
 * When run as root, makes the file repository directory `root` (created if missing, mode 0750) belong to `user`, unless
 * it already belongs to someone other than root; returns true when it changed the owner. Files zops writes there later
 * as root take that owner (FileStorage), so root's backups and the user's wal-push share it.
 * @throws DISK_FULL, LOCAL_ACCESS or LOCAL_IO naming the directory
 */
export const giveRepositoryTo = async (root: string, user: OsUser): Promise<boolean> => {
  if (process.getuid?.() !== 0) return false;
  return withLocalErrors(`unable to give the repository '${root}' to ${user.name}`, root, async () => {
    await mkdir(root, { recursive: true, mode: 0o750 });
    const info = await stat(root);
    if (info.uid !== 0) return false;
    await chown(root, user.uid, user.gid);
    return true;
  });
};

// Run as the archiving user: reads the config file and, for a file repository, writes, reads and removes a file there.
const SCRIPT = `
const fs = require("node:fs"), path = require("node:path");
const [config, root] = process.argv.slice(1);
let step = "read the configuration file " + config;
try {
  fs.readFileSync(config);
  if (root) {
    const dir = path.join(root, ".zops-user-check-" + process.pid);
    step = "create a directory in the repository " + root;
    fs.mkdirSync(dir);
    step = "write a file in the repository " + root;
    fs.writeFileSync(path.join(dir, "probe"), "x");
    fs.readFileSync(path.join(dir, "probe"));
    fs.rmSync(dir, { recursive: true });
  }
} catch (error) {
  process.stderr.write("cannot " + step + ": " + error.code);
  process.exit(3);
}`;

/**
 * Proves, by trying as OS user `user` (runuser, so its groups apply), that archive_command can read the configuration
 * at `configPath` and, for a file repository at `root`, write there; returns a one-line detail. Throws PRECONDITION
 * naming what the user cannot do and the fix. Needs root.
 */
export const checkAsArchivingUser = async (
  configPath: string,
  root: string | undefined,
  user: OsUser,
): Promise<string> => {
  const result = await execa(
    "runuser",
    ["-u", user.name, "--", process.execPath, "-e", SCRIPT, configPath, ...(root ? [root] : [])],
    { reject: false, cwd: "/" },
  );
  if (result.exitCode === 0)
    return `${user.name} can read ${configPath}${root ? ` and write in ${root}` : ""} (as archive_command does)`;
  const what = result.stderr.trim() || (result.message ?? "could not be run as");
  throw new ZopsError("PRECONDITION", `the archiving user '${user.name}' ${what}: every wal-push would fail`, {
    hint: what.includes("configuration")
      ? `make ${configPath} readable by ${user.name} (chgrp ${user.name} ${configPath}; chmod 640 ${configPath})`
      : `chown -R ${user.name}: ${root} (zops repo init run as root does it), or set postgres.osUser`,
  });
};
