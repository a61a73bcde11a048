import { join } from "node:path";
import type { ZopsConfig } from "../config/index.js";

/** Every path of a deploy root (docs/release-format.md, "On the server"). */
export interface DeployPaths {
  readonly root: string;
  readonly deployments: string;
  readonly current: string;
  readonly last: string;
  readonly next: string;
  readonly shared: string;
  readonly configDir: string;
  /** zops' own state: conffile table, journal, restore points. */
  readonly state: string;
  readonly conffileTable: string;
  /** Content-addressed copies of shipped config versions (the base of 3-way diffs). */
  readonly conffileStore: string;
  readonly journal: string;
  readonly restorePoints: string;
  /** Private (0700) directory releases are unpacked into before consent. */
  readonly staging: string;
  readonly lock: string;
  readonly log: string;
}

/** Resolves the deploy paths from the `deploy:` config section (pure). */
export const deployPaths = (deploy: ZopsConfig["deploy"]): DeployPaths => {
  const root = deploy.root;
  const state = join(root, ".zops");
  return {
    root,
    deployments: join(root, "deployments"),
    current: join(root, "deployments", "current"),
    last: join(root, "deployments", "last"),
    next: join(root, "deployments", "next"),
    shared: join(root, "shared"),
    configDir: deploy.configDir,
    state,
    conffileTable: join(state, "conffiles.json"),
    conffileStore: join(state, "conffiles"),
    journal: join(state, "journal.json"),
    restorePoints: join(state, "restore-points"),
    staging: join(state, "staging"),
    lock: deploy.lockPath ?? join(state, "upgrade.lock"),
    log: deploy.logPath ?? join(state, "upgrade.log"),
  };
};
