import { loadConfigCached, resolveConfigPath, userConfigCacheFile } from "../config/cache.js";
import type { LoadedConfig } from "../config/load.js";
import type { GlobalOptions } from "../ui/output.js";

/**
 * Loads the configuration a command runs with (--config, else $ZOPS_CONFIG, else /etc/zops/zops.yml), through this OS
 * user's validated-config cache (src/config/cache.ts): yaml and zod load only when zops.yml changed.
 */
export const loadCommandConfig = async (globals: Pick<GlobalOptions, "config">): Promise<LoadedConfig> => {
  const path = resolveConfigPath(globals.config);
  return { path, config: await loadConfigCached(path, userConfigCacheFile(path)) };
};
