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

const cacheKey = async (path: string): Promise<string | undefined> => {
  const [config, build] = await Promise.all([stat(path, { bigint: true }).catch(() => undefined), stat(fileURLToPath(import.meta.url)).catch(() => undefined)]);
  if (!config) return undefined;
  // npm resets file mtimes, so the build's mtime alone does not tell two zops versions apart: the bundle script
  // replaces ZOPS_BUILD_ID with a unique id per build, so a new zops never reads an old zops' cached config.
  return [path, config.dev, config.ino, config.size, config.mtimeNs, config.ctimeNs, process.env.ZOPS_REPOSITORY_URL ?? "", build?.mtimeMs ?? 0, process.env.ZOPS_BUILD_ID ?? "source", import.meta.url].join("|");
};

// Loads the configuration for a wal-push/wal-fetch on a file under `<dataDir>/pg_wal`: from the cache when it
// is current, else with full validation (then refreshing the cache, best effort). Throws what loadConfig throws.
export const loadWalConfig = async (globals: Pick<GlobalOptions, "config">, dataDir: string | undefined): Promise<ZopsConfig> => {
  const path = configPath(globals);
  const cachePath = dataDir ? join(dataDir, "pg_wal", "zops-spool", "config.json") : undefined;
  const key = cachePath ? await cacheKey(path) : undefined;
  if (cachePath && key) {
    const cached = await readFile(cachePath, "utf8").then((text) => JSON.parse(text) as CacheFile, () => undefined);
    if (cached?.key === key) return cached.config;
  }
  const { loadConfig } = await import("../config/load.js");
  const { config } = await loadConfig(path);
  if (cachePath && key) {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(cachePath, ".."), { recursive: true, mode: 0o700 })
      .then(() => writeFileAtomic(cachePath, JSON.stringify({ key, config } satisfies CacheFile), { mode: 0o600 }))
      .then(() => adoptSpoolOwner(join(cachePath, "..")))
      .catch(() => undefined);
  }
  return config;
};
