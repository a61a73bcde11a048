import { loadCommandConfig } from "./load-config.js";
import { walFetch } from "../wal/fetch.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import type { CommandMeta } from "./command.js";
import { RESTORE_COMMAND_EXITS } from "./exits.js";

/** No lock (restore_command must stay cheap); restore_command's exit statuses. */
export const meta: CommandMeta = { lock: "none", exits: RESTORE_COMMAND_EXITS };

/**
 * `zops wal-fetch <segment> <dest>` (restore_command = '... wal-fetch %f %p'): exit 0 with `dest` written; its
 * meta maps STORAGE_NOT_FOUND to 1 (end of archive) and every other failure to 128 (PostgreSQL aborts recovery).
 */
export const runWalFetch = async (globals: GlobalOptions, name: string, dest: string): Promise<CommandResult> => {
  const { config } = await loadCommandConfig({ config: globals.config, walPath: dest });
  const result = await walFetch(config, name, dest);
  const text = globals.verbose
    ? `${result.name}: from ${result.source}, prefetched ` +
      `${result.prefetched.length}, ${Math.round(result.durationMs)} ms`
    : undefined;
  return { text, json: result };
};
