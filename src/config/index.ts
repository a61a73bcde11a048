export { loadConfig, parseConfig, type LoadedConfig } from "./load.js";
export { DEFAULT_CONFIG_PATH, resolveConfigPath } from "./path.js";
export { configSchema, type ZopsConfig, type ZopsConfigInput } from "./schema.js";
