import { execaSync } from "execa";
import { join } from "node:path";
import { createScratchCluster, type ScratchCluster } from "../../src/pg/scratch-cluster.js";
import { makeTempDir, removeTempDir } from "./temp.js";

export interface ClusterOptions {
  /** Extra postgresql.conf settings (values written verbatim, quote strings yourself). */
  readonly settings?: Record<string, string | number>;
  /** Extra initdb arguments. */
  readonly initdbArgs?: readonly string[];
  /** Use this existing (e.g. restored) data directory instead of running initdb. */
  readonly dataDir?: string;
  /** Leave the cluster stopped after creating it. */
  readonly start?: boolean;
  /** Extra environment for the server (archive_command/restore_command inherit it, e.g. AWS_* credentials). */
  readonly env?: Record<string, string>;
}

/** A throwaway PostgreSQL cluster in a temp directory, on a free port, with its own socket directory. */
export interface TestCluster extends ScratchCluster {
  readonly root: string;
  /** Stops the cluster and deletes its directory (safe to call twice). */
  destroy(): Promise<void>;
}

const live = new Set<TestCluster>();

process.on("exit", () => {
  for (const cluster of live) {
    try {
      execaSync(join(cluster.binDir, "pg_ctl"), ["stop", "-D", cluster.dataDir, "-m", "immediate", "-w"], {
        reject: false,
        uid: cluster.runAs?.uid,
        gid: cluster.runAs?.gid,
      });
    } catch {
      // best effort on exit
    }
  }
});

/**
 * Creates (initdb) and starts a throwaway cluster; runs as the postgres OS user when we are root. Throws, never skips,
 * when PostgreSQL is missing.
 */
export const startCluster = async (options: ClusterOptions = {}): Promise<TestCluster> => {
  const root = await makeTempDir("pg");
  const scratch = await createScratchCluster({
    root,
    dataDir: options.dataDir,
    initdbArgs: options.initdbArgs,
    binDir: process.env.ZOPS_TEST_PG_BINDIR,
    env: options.env,
    settings: { fsync: "off", max_wal_senders: 4, wal_level: "replica", shared_buffers: "'32MB'", ...options.settings },
  });
  const cluster: TestCluster = {
    ...scratch,
    root,
    destroy: async () => {
      live.delete(cluster);
      await scratch.stop("immediate");
      await removeTempDir(root);
    },
  };
  live.add(cluster);
  if (options.start !== false) await cluster.start();
  return cluster;
};
