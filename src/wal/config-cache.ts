import { stat } from "node:fs/promises";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ZopsConfig } from "../config/index.js";
import type { GlobalOptions } from "../ui/output.js";
import { writeFileAtomic } from "./atomic-file.js";
import { adoptSpoolOwner } from "./spool-owner.js";

// A validated-config cache for the per-segment commands. Parsing zops.yml loads yaml and zod (~100 ms of
// start-up, measured on the bundle), paid by every wal-push/wal-fetch process. The cache holds the validated
// result in `<dataDir>/pg_wal/zops-spool/config.json` (mode 0600, owned by the postgres OS user) and is used
// only while the config file's identity (path, device, inode, size, mtime, ctime), $ZOPS_REPOSITORY_URL and the
// installed zops build are unchanged; anything else reloads through loadConfig (full validation, clear errors).

interface CacheFile {
  readonly key: string;
  readonly config: ZopsConfig;
}

// Same rule as config/load.ts#resolveConfigPath, repeated here so this module does not pull yaml and zod in.
const configPath = (globals: Pick<GlobalOptions, "config">): string => resolve(globals.config ?? process.env.ZOPS_CONFIG ?? "/etc/zops/zops.yml");

// The zops that wrote a cache entry: the bundle script replaces ZOPS_BUILD_ID with a unique id per build (npm resets
// file mtimes, so mtimes do not tell two installed versions apart), shared by the entry file and the CLI chunks;
// run from source, this module's own path and mtime.
const buildOf = async (): Promise<string> => {
  if (process.env.ZOPS_BUILD_ID) return process.env.ZOPS_BUILD_ID;
  const source = await stat(fileURLToPath(import.meta.url)).catch(() => undefined);
  return `source|${import.meta.url}|${source?.mtimeMs ?? 0}`;
};

const cacheKey = async (path: string): Promise<string | undefined> => {
  const [config, build] = await Promise.all([stat(path, { bigint: true }).catch(() => undefined), buildOf()]);
  if (!config) return undefined;
  return [path, config.dev, config.ino, config.size, config.mtimeNs, config.ctimeNs, process.env.ZOPS_REPOSITORY_URL ?? "", build].join("|");
};

const cachePathOf = (dataDir: string | undefined): string | undefined => (dataDir ? join(dataDir, "pg_wal", "zops-spool", "config.json") : undefined);

// The cached configuration for a wal-push/wal-fetch on a file under `<dataDir>/pg_wal`, when the cache is current;
// undefined otherwise. Never loads yaml or zod (the wal-push fast path uses it before the CLI loads).
export const readCachedWalConfig = async (globals: Pick<GlobalOptions, "config">, dataDir: string | undefined): Promise<ZopsConfig | undefined> => {
  const cachePath = cachePathOf(dataDir);
  const key = cachePath ? await cacheKey(configPath(globals)) : undefined;
  if (!cachePath || !key) return undefined;
  const cached = await readFile(cachePath, "utf8").then((text) => JSON.parse(text) as CacheFile, () => undefined);
  return cached?.key === key ? cached.config : undefined;
};

// Loads the configuration for a wal-push/wal-fetch on a file under `<dataDir>/pg_wal`: from the cache when it
// is current, else with full validation (then refreshing the cache, best effort). Throws what loadConfig throws.
export const loadWalConfig = async (globals: Pick<GlobalOptions, "config">, dataDir: string | undefined): Promise<ZopsConfig> => {
  const cached = await readCachedWalConfig(globals, dataDir);
  if (cached) return cached;
  const path = configPath(globals);
  const cachePath = cachePathOf(dataDir);
  const { loadConfig } = await import("../config/load.js");
  const { config } = await loadConfig(path);
  const key = cachePath ? await cacheKey(path) : undefined;
  if (cachePath && key) {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(cachePath, ".."), { recursive: true, mode: 0o700 })
      .then(() => writeFileAtomic(cachePath, JSON.stringify({ key, config } satisfies CacheFile), { mode: 0o600 }))
      .then(() => adoptSpoolOwner(join(cachePath, "..")))
      .catch(() => undefined);
  }
  return config;
};
