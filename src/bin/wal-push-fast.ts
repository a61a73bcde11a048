import { basename } from "node:path";
import { readCachedCommandConfig } from "../commands/load-config.js";
import { dataDirOfWalPath } from "../wal/data-dir.js";
import { defaultSpoolDir, takeSpooledRecord } from "../wal/push-spool.js";

// The start-up fast path of `zops wal-push`, run by the bin entry before the CLI loads: PostgreSQL starts one
// process per WAL file, and most of them ask for a file the background pusher already stored. Only the plain
// forms `[-c|--config FILE] wal-push PATH` qualify, and only with a current config cache.

const parse = (args: readonly string[]): { config?: string; path: string } | undefined => {
  if (args.length === 2 && args[0] === "wal-push") return { path: args[1] as string };
  if (args.length === 4 && (args[0] === "--config" || args[0] === "-c") && args[2] === "wal-push")
    return { config: args[1], path: args[3] as string };
  if (args.length === 3 && args[0]?.startsWith("--config=") && args[1] === "wal-push")
    return { config: args[0].slice("--config=".length), path: args[2] as string };
  return undefined;
};

/**
 * True when `args` (process.argv after the script) is a wal-push for a file the spool says is stored (the record is
 * consumed, exit 0 is right); false whenever anything else applies, and then the full CLI handles the call. Never
 * throws.
 */
export const walPushFromSpool = async (args: readonly string[]): Promise<boolean> => {
  try {
    const call = parse(args);
    const dataDir = call ? dataDirOfWalPath(call.path) : undefined;
    if (!call || !dataDir) return false;
    const config = await readCachedCommandConfig({ config: call.config, walPath: call.path });
    if (!config) return false;
    const spool = config.wal.spoolDir ?? defaultSpoolDir(dataDir);
    return (await takeSpooledRecord(spool, call.path, basename(call.path), config.repository.url)) !== undefined;
  } catch {
    return false;
  }
};
