import { openStorage } from "../storage/open.js";
import { checkMarkName } from "../restore/marks.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";
import { createTasks } from "../ui/run-tasks.js";
import { markTasks, type MarkContext } from "../../tasks/restore/mark.js";
import { loadCommandConfig } from "./load-config.js";

/** mark writes one small record and takes no lock: a restore point never conflicts with a backup or expire. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops mark NAME`: creates a restore point on the cluster and records its name, LSN and time in the repository, so
 * `zops restore --target-name NAME` can pick the backup to replay from and prove where recovery stopped.
 * @throws USAGE for a name zops cannot record, PRECONDITION when it is recorded already.
 */
export const runMark = async (globals: GlobalOptions, name: string): Promise<CommandResult> => {
  checkMarkName(name);
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    const ctx: MarkContext = {};
    await createTasks<MarkContext>(markTasks<MarkContext>(config, storage, name), globals).run(ctx);
    const mark = ctx.mark;
    return {
      text:
        `restore point '${name}' at LSN ${mark?.lsn} (${mark?.time}, timeline ${mark?.timeline}); ` +
        "restorable once its WAL segment is archived",
      json: mark,
    };
  } finally {
    await storage.close?.();
  }
};
