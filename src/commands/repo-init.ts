import { checkLocationTask, writeMarkerTask, type RepoInitContext } from "../../tasks/repo/init.js";
import { lookupOsUser } from "../pg/os-user.js";
import { fileRepositoryRoot, giveRepositoryTo } from "../repo/archiving-user.js";
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
 * non-empty foreign location. Run as root on a file repository, gives the directory to postgres.osUser so that
 * archive_command can write there. Not idempotent by design.
 */
export const runRepoInit = async (globals: GlobalOptions): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    const ctx: RepoInitContext = { storage };
    let owner: string | undefined;
    const root = fileRepositoryRoot(config.repository.url);
    const ownerTask = {
      title: `Give the repository directory to the archiving user ${config.postgres.osUser}`,
      skip: () => root === undefined || process.getuid?.() !== 0,
      task: async () => {
        const user = await lookupOsUser(config.postgres.osUser);
        if (root && (await giveRepositoryTo(root, user))) owner = user.name;
      },
    };
    await createTasks<RepoInitContext>([checkLocationTask(), ownerTask, writeMarkerTask()], globals).run(ctx);
    const marker = ctx.marker;
    return {
      text:
        `created zops repository (format version ${marker?.version}) at ${storage.location}` +
        (owner ? `, owned by ${owner} (the archiving user)` : ""),
      json: { ok: true, location: storage.location, marker, ...(owner ? { owner } : {}) },
    };
  } finally {
    await storage.close?.();
  }
};
