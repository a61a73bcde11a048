import { join } from "node:path";
import { loadConfigCached, readConfigCache, userConfigCacheFile } from "../config/cache.js";
import type { LoadedConfig } from "../config/load.js";
import { resolveConfigPath } from "../config/path.js";
import type { ZopsConfig } from "../config/schema.js";
import { dataDirOfWalPath } from "../wal/data-dir.js";
import { adoptSpoolOwner } from "../wal/spool-owner.js";

// The one way a command loads its configuration: --config, else $ZOPS_CONFIG, else /etc/zops/zops.yml, through a
// validated-config cache (src/config/cache.ts), so yaml and zod load only when zops.yml changed. The per-segment
// commands (wal-push, wal-fetch, the pusher) keep that cache in `<dataDir>/pg_wal/zops-spool/config.json`, owned by the
// postgres OS user, instead of the user's home: PostgreSQL's archiver often has none it can write.

/** Where a command finds its configuration: the global --config flag, and the WAL file it works on, if any. */
export interface ConfigSource {
  readonly config?: string | undefined;
  /** A path under `<dataDir>/pg_wal` (wal-push's %p, wal-fetch's %p): the cache then lives in the WAL spool. */
  readonly walPath?: string | undefined;
}

const spoolCacheOf = (walPath: string | undefined): string | undefined => {
  const dataDir = walPath === undefined ? undefined : dataDirOfWalPath(walPath);
  return dataDir ? join(dataDir, "pg_wal", "zops-spool", "config.json") : undefined;
};

/**
 * Loads the configuration a command runs with: from the cache when it is current, else with full validation (then
 * refreshing the cache, best effort).
 * @throws CONFIG_INVALID naming the file, key and line.
 */
export const loadCommandConfig = async (source: ConfigSource): Promise<LoadedConfig> => {
  const path = resolveConfigPath(source.config);
  const spoolCache = spoolCacheOf(source.walPath);
  if (source.walPath === undefined) return { path, config: await loadConfigCached(path, userConfigCacheFile(path)) };
  const adopt = spoolCache ? () => adoptSpoolOwner(join(spoolCache, "..")) : undefined;
  return { path, config: await loadConfigCached(path, spoolCache, adopt) };
};

/**
 * The cached configuration of a per-segment command when the cache is current, else undefined. Never loads yaml or zod
 * and never throws (the wal-push start-up fast path uses it before the CLI loads).
 */
export const readCachedCommandConfig = async (source: ConfigSource): Promise<ZopsConfig | undefined> => {
  const cache = spoolCacheOf(source.walPath);
  return cache ? readConfigCache(cache, resolveConfigPath(source.config)) : undefined;
};
