import { join } from "node:path";
import { loadCommandConfig } from "./load-config.js";
import { runPusher } from "../wal/pusher.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** No lock here: the pusher takes its spool's own lock. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops wal-push-ahead <pg_wal>` (hidden): the background pusher that `wal-push` starts detached. Pushes the other
 * `.ready` files and records them in the spool; never fails PostgreSQL's archiving (failures are left for the next
 * wal-push to report).
 */
export const runWalPushAhead = async (
  globals: GlobalOptions,
  walDir: string,
  options: { after?: string } = {},
): Promise<CommandResult> => {
  const { config } = await loadCommandConfig({ config: globals.config, walPath: join(walDir, "pusher") });
  const result = await runPusher(config, walDir, { after: options.after });
  const text = globals.verbose ? `pushed ahead ${result.pushed.length}, failed ${result.failures.length}` : undefined;
  return { text, json: result };
};
