import { join } from "node:path";
import { loadConfigCached, readConfigCache, resolveConfigPath } from "../config/cache.js";
import type { ZopsConfig } from "../config/index.js";
import type { GlobalOptions } from "../ui/output.js";
import { adoptSpoolOwner } from "./spool-owner.js";

// The per-segment commands' config cache (src/config/cache.ts) lives in `<dataDir>/pg_wal/zops-spool/config.json`,
// owned by the postgres OS user, instead of the user's home: PostgreSQL's archiver often has none it can write.

const cachePathOf = (dataDir: string | undefined): string | undefined =>
  dataDir ? join(dataDir, "pg_wal", "zops-spool", "config.json") : undefined;

/**
 * The cached configuration for a wal-push/wal-fetch on a file under `<dataDir>/pg_wal`, when the cache is current;
 * undefined otherwise. Never loads yaml or zod (the wal-push fast path uses it before the CLI loads).
 */
export const readCachedWalConfig = async (
  globals: Pick<GlobalOptions, "config">,
  dataDir: string | undefined,
): Promise<ZopsConfig | undefined> => {
  const cachePath = cachePathOf(dataDir);
  return cachePath ? readConfigCache(cachePath, resolveConfigPath(globals.config)) : undefined;
};

/**
 * Loads the configuration for a wal-push/wal-fetch on a file under `<dataDir>/pg_wal`: from the cache when it is
 * current, else with full validation (then refreshing the cache, best effort). Throws what loadConfig throws.
 */
export const loadWalConfig = async (
  globals: Pick<GlobalOptions, "config">,
  dataDir: string | undefined,
): Promise<ZopsConfig> => {
  const cachePath = cachePathOf(dataDir);
  return loadConfigCached(
    resolveConfigPath(globals.config),
    cachePath,
    cachePath ? () => adoptSpoolOwner(join(cachePath, "..")) : undefined,
  );
};
