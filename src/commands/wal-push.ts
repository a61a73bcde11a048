import { loadWalConfig } from "../wal/config-cache.js";
import { dataDirOfWalPath } from "../wal/data-dir.js";
import { walPush } from "../wal/push.js";
import type { CommandResult, GlobalOptions } from "../ui/output.js";

// `zops wal-push <path>` (archive_command = '... wal-push %p'): exit 0 only once the file is stored; quiet on success
// (the output lands in the PostgreSQL log), one line plus HINT on failure (printed by cli.ts).
export const runWalPush = async (globals: GlobalOptions, path: string): Promise<CommandResult> => {
  const config = await loadWalConfig(globals, dataDirOfWalPath(path));
  const result = await walPush(config, path);
  const failures = result.aheadFailures.length;
  if (failures > 0) process.stderr.write(`zops wal-push: WARNING: push-ahead of ${failures} file(s) failed (first: ${result.aheadFailures[0]?.name}: ${result.aheadFailures[0]?.error}); PostgreSQL will archive them itself\n`);
  const text = globals.verbose
    ? `${result.name}: ${result.status}, pushed ahead ${result.pushedAhead.length}, ${Math.round(result.durationMs)} ms${result.identityCached ? "" : " (cluster identity checked)"}`
    : undefined;
  return { text, json: result };
};
