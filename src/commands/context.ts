import { loadConfig, resolveConfigPath, type LoadedConfig } from "../config/index.js";
import type { GlobalOptions } from "../ui/output.js";

// Loads the configuration a command runs with (--config, else $ZOPS_CONFIG, else /etc/zops/zops.yml).
export const loadCommandConfig = (globals: Pick<GlobalOptions, "config">): Promise<LoadedConfig> => loadConfig(resolveConfigPath(globals.config));
