import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ZopsConfig } from "../config/schema.js";
import { ZopsError, withLocalErrors } from "../errors/index.js";
import {
  acquireLock,
  describeHolder,
  holderIsLive,
  lockHeldError,
  readLockHolder,
  thisHolder,
  type HeldLock,
  type LockHolder,
} from "./lock-file.js";

// The repository's local lock (docs/architecture.md, "lock/"). Writers (backup, expire) take the lock file itself,
// exclusively. Readers (restore, verify, drill) each leave an entry in `<lock>.readers/` while they read. A writer
// about to delete what readers may use calls excludeReaders: it raises `<lock>.deleting`, then looks for live readers;
// a reader registers, then looks for that flag. Whichever comes second sees the other and backs off (LOCK_HELD), so
// nothing is deleted under a reader. Entries and flags of dead processes on this host are stale and ignored.

/**
 * The repository's local lock file: backup.lockFile, else `.zops-backup.lock` beside the data directory (writable by
 * root and by the postgres OS user's tree). Pure.
 */
export const repositoryLockPath = (config: Pick<ZopsConfig, "backup" | "postgres">): string =>
  config.backup.lockFile ?? join(dirname(config.postgres.dataDir), ".zops-backup.lock");

const readersDir = (lockPath: string) => `${lockPath}.readers`;
const deletingFlag = (lockPath: string) => `${lockPath}.deleting`;

/** Takes the repository's exclusive writer lock (backup, expire). @throws LOCK_HELD naming the holder. */
export const acquireRepositoryWriter = (lockPath: string, command: string): Promise<HeldLock> =>
  acquireLock(lockPath, command);

/**
 * Registers this process as a reader of the repository (restore, verify, drill) until release; writers still run, but
 * none deletes anything while the entry lives.
 * @throws LOCK_HELD when a writer is deleting right now; LOCAL_ACCESS, DISK_FULL or LOCAL_IO when the entry cannot be
 * written.
 */
export const acquireRepositoryReader = async (lockPath: string, command: string): Promise<HeldLock> => {
  const dir = readersDir(lockPath);
  const holder = thisHolder(command);
  const entry = join(dir, `${holder.host}-${holder.pid}-${randomBytes(4).toString("hex")}.json`);
  await withLocalErrors(`unable to register as a reader of the repository in '${dir}'`, dir, async () => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(entry, `${JSON.stringify(holder)}\n`, { flag: "wx", mode: 0o644 });
  });
  const release = async () => {
    await unlink(entry).catch(() => undefined);
  };
  const deleting = await readLockHolder(deletingFlag(lockPath));
  if (deleting && holderIsLive(deleting)) {
    await release();
    throw lockHeldError(lockPath, deleting, `repository lock '${lockPath}' (deleting expired data)`);
  }
  return { path: entry, holder, recoveredFrom: undefined, release };
};

/** The live readers registered beside `lockPath`; entries of dead processes on this host are removed. */
export const liveReaders = async (lockPath: string): Promise<LockHolder[]> => {
  const dir = readersDir(lockPath);
  const live: LockHolder[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const holder = await readLockHolder(join(dir, name));
    if (holder && holderIsLive(holder)) live.push(holder);
    else if (holder) await unlink(join(dir, name)).catch(() => undefined);
  }
  return live;
};

/**
 * Keeps readers out while the caller deletes repository data: raises the deleting flag, then checks that no reader
 * is registered; release lowers the flag. Call it under the writer lock, around the deletions only.
 * @throws LOCK_HELD naming a live reader (the flag is lowered again).
 */
export const excludeReaders = async (lockPath: string, command: string): Promise<{ release(): Promise<void> }> => {
  const flag = deletingFlag(lockPath);
  const holder = thisHolder(command);
  await withLocalErrors(`unable to raise the deleting flag '${flag}'`, dirname(flag), async () => {
    await mkdir(dirname(flag), { recursive: true });
    const handle = await open(flag, "w", 0o644);
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
    await handle.sync();
    await handle.close();
  });
  const release = async () => {
    const current = await readLockHolder(flag);
    if (current?.pid === holder.pid && current.host === holder.host) await unlink(flag).catch(() => undefined);
  };
  const [reader] = await liveReaders(lockPath);
  if (reader) {
    await release();
    throw new ZopsError(
      "LOCK_HELD",
      `nothing is deleted while the repository is being read by ${describeHolder(reader)}`,
      {
        hint: "run `zops expire` again once it has finished",
        details: { reader },
      },
    );
  }
  return { release };
};

/**
 * Runs `fn` (deletions of repository data) with readers kept out (excludeReaders), lowering the flag afterwards.
 * @throws LOCK_HELD naming a live reader, before `fn` runs; whatever `fn` throws.
 */
export const withReadersExcluded = async <T>(lockPath: string, command: string, fn: () => Promise<T>): Promise<T> => {
  const exclusion = await excludeReaders(lockPath, command);
  try {
    return await fn();
  } finally {
    await exclusion.release();
  }
};
