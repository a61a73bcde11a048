export { DEFAULT_CONFIG_PATH, loadConfig, parseConfig, resolveConfigPath, type LoadedConfig } from "./load.js";
export { configSchema, type ZopsConfig, type ZopsConfigInput } from "./schema.js";
