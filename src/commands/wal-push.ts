import { loadCommandConfig } from "./load-config.js";
import { walPush } from "../wal/push.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** No lock: PostgreSQL's archiver runs it once per segment; pushes are idempotent. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops wal-push <path>` (archive_command = '... wal-push %p'): exit 0 only once the file is stored; quiet on success
 * (the output lands in the PostgreSQL log), one line plus HINT on failure (printed by cli.ts).
 */
export const runWalPush = async (
  globals: GlobalOptions,
  path: string,
  options: { force?: boolean; replacePartial?: boolean } = {},
): Promise<CommandResult> => {
  const { config } = await loadCommandConfig({ config: globals.config, walPath: path });
  const result = await walPush(config, path, {
    configPath: globals.config,
    force: options.force === true,
    replacePartial: options.replacePartial === true,
  });
  if (result.asideKey !== undefined)
    process.stderr.write(
      `zops wal-push: replaced the unfinished copy of ${result.name}; it is kept at ${result.asideKey}\n`,
    );
  const failures = result.pusherFailures;
  if (failures.length > 0) {
    process.stderr.write(
      `zops wal-push: WARNING: the background push-ahead of ` +
        `${failures.length} file(s) failed (first: ${failures[0]?.name}: ` +
        `${failures[0]?.error}); PostgreSQL archives them itself\n`,
    );
  }
  const text = globals.verbose
    ? `${result.name}: ${result.status}, background pusher ` +
      `${result.pusher}, ${Math.round(result.durationMs)} ` +
      `ms${result.identityCached ? "" : " (cluster identity checked)"}`
    : undefined;
  return { text, json: result };
};
