import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import { ZopsError } from "../../src/errors/index.js";
import { openRepository, readClusterIdentity } from "../../src/repo/repository.js";
import { createRestorePoint } from "../../src/restore/create-mark.js";
import { readMark, writeMark, type RestorePointMark } from "../../src/restore/marks.js";
import type { Storage } from "../../src/storage/storage.js";

/** What `zops mark` leaves in its context. */
export interface MarkContext {
  mark?: RestorePointMark;
}

/**
 * `zops mark NAME` as tasks: check that the name is free in the repository, create the restore point on the cluster,
 * record it. A failure to record after the restore point exists says so (the WAL record stays; mark again under
 * another name).
 */
export const markTasks = <Ctx extends MarkContext>(
  config: ZopsConfig,
  storage: Storage,
  name: string,
): ListrTask<Ctx>[] => {
  let systemIdentifier: string | undefined;
  return [
    {
      title: `Check that restore point '${name}' is not recorded yet`,
      task: async (_ctx, task) => {
        await openRepository(storage);
        const existing = await readMark(storage, name);
        if (existing)
          throw new ZopsError(
            "PRECONDITION",
            `restore point '${name}' is already recorded (LSN ${existing.lsn}, ${existing.time})`,
            {
              hint:
                "choose another name: PostgreSQL stops at the first restore point of a name, so zops records each " +
                "name once",
            },
          );
        systemIdentifier = (await readClusterIdentity(storage))?.systemIdentifier;
        task.title = `Restore point name '${name}' is free`;
      },
    },
    {
      title: `Create restore point '${name}'`,
      task: async (ctx, task) => {
        ctx.mark = await createRestorePoint(config.postgres, name, systemIdentifier);
        task.title = `Restore point '${name}' at LSN ${ctx.mark.lsn} (${ctx.mark.time})`;
      },
    },
    {
      title: "Record it in the repository",
      task: async (ctx, task) => {
        const mark = ctx.mark as RestorePointMark;
        await writeMark(storage, mark).catch((error: unknown) => {
          throw new ZopsError(
            "STORAGE_IO",
            `restore point '${name}' was created at LSN ${mark.lsn} but could not be recorded: ` +
              `${(error as Error).message}`,
            { hint: "run zops mark again with another name once the repository is reachable", cause: error },
          );
        });
        task.title = `Recorded in ${storage.location}`;
      },
    },
  ];
};
