/** Default configuration file. */
export const DEFAULT_CONFIG_PATH = "/etc/zops/zops.yml";

/** Picks the config path: the flag, else $ZOPS_CONFIG, else /etc/zops/zops.yml (as given, not resolved). Pure. */
export const resolveConfigPath = (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string =>
  flag ?? env.ZOPS_CONFIG ?? DEFAULT_CONFIG_PATH;
