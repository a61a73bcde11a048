import { chown, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../pg/free-port.js";
import type { OsUser } from "../pg/os-user.js";

/** Where a drill restores and how its throwaway cluster is reached. */
export interface DrillScratch {
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  /**
   * Settings that isolate the restored cluster from production: own port and socket, no TCP, no archiving, its own
   * pg_hba.
   */
  readonly settings: Record<string, string>;
}

/**
 * Creates the scratch directory (owned by `owner`), a private socket directory and a trust-on-local-socket pg_hba file
 * (the socket directory is 0700, so only the owner and root can connect).
 */
export const prepareScratch = async (parent: string | undefined, owner: OsUser | undefined): Promise<DrillScratch> => {
  const base = parent ?? tmpdir();
  await mkdir(base, { recursive: true });
  const root = await mkdtemp(join(base, "zops-drill-"));
  const socketDir = join(root, "socket");
  const dataDir = join(root, "data");
  const hbaFile = join(root, "pg_hba.conf");
  await mkdir(socketDir, { mode: 0o700 });
  await writeFile(hbaFile, "# zops drill: local socket only (directory mode 0700)\nlocal all all trust\n", {
    mode: 0o600,
  });
  if (owner) {
    for (const path of [root, socketDir, hbaFile]) await chown(path, owner.uid, owner.gid);
  }
  const port = await freePort();
  return {
    root,
    dataDir,
    socketDir,
    port,
    settings: {
      port: String(port),
      listen_addresses: "",
      unix_socket_directories: socketDir,
      hba_file: hbaFile,
      hot_standby: "on",
      archive_mode: "off",
      logging_collector: "off",
      shared_preload_libraries: "",
      shared_buffers: "128MB",
    },
  };
};

/** Removes the scratch directory (the cluster must be stopped). Idempotent. */
export const removeScratch = (scratch: DrillScratch): Promise<void> =>
  rm(scratch.root, { recursive: true, force: true });
