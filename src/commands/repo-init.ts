import { checkLocationTask, writeMarkerTask, type RepoInitContext } from "../../tasks/repo/init.js";
import { openStorage } from "../storage/open.js";
import { createTasks } from "../ui/run-tasks.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** No lock: refuses an existing repository, so two runs cannot both create one. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops repo init`: creates a repository at repository.url; refuses (PRECONDITION, exit 4) an existing repository or a
 * non-empty foreign location. Not idempotent by design.
 */
export const runRepoInit = async (globals: GlobalOptions): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    const ctx: RepoInitContext = { storage };
    await createTasks<RepoInitContext>([checkLocationTask(), writeMarkerTask()], globals).run(ctx);
    const marker = ctx.marker;
    return {
      text: `created zops repository (format version ${marker?.version}) at ${storage.location}`,
      json: { ok: true, location: storage.location, marker },
    };
  } finally {
    await storage.close?.();
  }
};
