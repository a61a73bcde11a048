import { acquireLock, handDown, type HeldLock } from "./lock-file.js";
import { acquireRepositoryReader, acquireRepositoryWriter } from "./repository-lock.js";

/**
 * The lock a command declares (its `meta.lock`): none; a reader of the repository (restore, verify, drill); its
 * writer (backup, expire: exclusive among writers, and readers are kept out while they delete); or the deploy lock
 * (upgrade, rollback).
 */
export type LockKind = "none" | "repo-read" | "repo-write" | "deploy";

/** What taking a command's lock needs to know. */
export interface LockContext {
  /** The command line recorded for other processes to see ("zops restore --to /srv/pg"). */
  readonly command: string;
  /** The repository's local lock file (repositoryLockPath). */
  readonly repositoryLock: string;
  /** The deploy lock file (deploy.lockPath or its default). */
  readonly deployLock: string;
}

const NO_LOCK: HeldLock = {
  path: "",
  holder: { pid: process.pid, host: "", startedAt: "", command: "" },
  recoveredFrom: undefined,
  release: async () => undefined,
};

/**
 * Takes the lock of `kind` for a command; release it when the command ends. A file lock is handed down, so the
 * command's own acquireLock of the same path gets it nested.
 * @throws LOCK_HELD naming the holder.
 */
export const acquireCommandLock = async (kind: LockKind, context: LockContext): Promise<HeldLock> => {
  switch (kind) {
    case "none":
      return NO_LOCK;
    case "repo-read":
      return acquireRepositoryReader(context.repositoryLock, context.command);
    case "repo-write":
      return handDown(await acquireRepositoryWriter(context.repositoryLock, context.command));
    case "deploy":
      return handDown(await acquireLock(context.deployLock, context.command));
  }
};
