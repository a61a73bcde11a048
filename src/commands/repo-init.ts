import { checkLocationTask, writeMarkerTask, type RepoInitContext } from "../../tasks/repo/init.js";
import { openStorage } from "../storage/open.js";
import { createTasks } from "../ui/run-tasks.js";
import type { CommandResult, GlobalOptions } from "../ui/output.js";
import { loadCommandConfig } from "./load-config.js";

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
