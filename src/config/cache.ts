import { createHash } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import type { ZopsConfig } from "./schema.js";

// A cache of the validated configuration, so that a command whose zops.yml has not changed does not load yaml and
// zod (about 135 ms of start-up, measured on the bundle: most of a refused `zops restore`, and once per WAL segment
// for wal-push). An entry is used only while the config file's identity (path, device, inode, size, mtime, ctime),
// $ZOPS_REPOSITORY_URL and the installed zops build are unchanged; anything else loads through loadConfig (full
// validation, clear errors) and rewrites the entry. Entries are mode 0600 in a 0700 directory: they hold what the
// config file holds. Nothing here imports yaml or zod.

interface CacheEntry {
  readonly key: string;
  readonly config: ZopsConfig;
}

// The zops that wrote an entry: the bundle script replaces ZOPS_BUILD_ID with a unique id per build (npm resets
// file mtimes, so mtimes do not tell two installed versions apart), shared by the entry file and the CLI chunks;
// run from source, this module's own path and mtime.
const buildOf = async (): Promise<string> => {
  if (process.env.ZOPS_BUILD_ID) return process.env.ZOPS_BUILD_ID;
  const source = await stat(fileURLToPath(import.meta.url)).catch(() => undefined);
  return `source|${import.meta.url}|${source?.mtimeMs ?? 0}`;
};

const keyOf = async (configFile: string): Promise<string | undefined> => {
  const path = resolve(configFile);
  const [config, build] = await Promise.all([stat(path, { bigint: true }).catch(() => undefined), buildOf()]);
  if (!config) return undefined;
  return [
    path,
    config.dev,
    config.ino,
    config.size,
    config.mtimeNs,
    config.ctimeNs,
    process.env.ZOPS_REPOSITORY_URL ?? "",
    build,
  ].join("|");
};

// True when `path` belongs to this OS user and nobody else can write it: an entry is trusted like zops.yml itself
// (it names commands zops runs), so one another user could have planted is ignored.
const ownedPrivately = async (path: string): Promise<boolean> => {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && info.uid === process.geteuid?.() && (info.mode & 0o022) === 0;
};

/** The cached configuration for `configFile` in `cacheFile` when it is current; undefined otherwise (never throws). */
export const readConfigCache = async (cacheFile: string, configFile: string): Promise<ZopsConfig | undefined> => {
  const key = await keyOf(configFile);
  if (!key || !(await ownedPrivately(cacheFile)) || !(await ownedPrivately(dirname(cacheFile)))) return undefined;
  const entry = await readFile(cacheFile, "utf8").then(
    (text) => JSON.parse(text) as CacheEntry,
    () => undefined,
  );
  return entry?.key === key ? entry.config : undefined;
};

/**
 * Loads `configFile`: from `cacheFile` when current, else with full validation, then (best effort) rewriting the entry
 * and running `afterWrite` (e.g. to give it the right owner). Throws what loadConfig throws.
 */
export const loadConfigCached = async (
  configFile: string,
  cacheFile: string | undefined,
  afterWrite?: () => Promise<void>,
): Promise<ZopsConfig> => {
  const cached = cacheFile ? await readConfigCache(cacheFile, configFile) : undefined;
  if (cached) return cached;
  // The key is taken before the read and checked after it: a file rewritten meanwhile is not cached under its new key.
  const key = cacheFile ? await keyOf(configFile) : undefined;
  const { loadConfig } = await import("./load.js");
  const { config } = await loadConfig(configFile);
  if (cacheFile && key && key === (await keyOf(configFile))) {
    await mkdir(dirname(cacheFile), { recursive: true, mode: 0o700 })
      .then(() =>
        writeFileAtomic(cacheFile, JSON.stringify({ key, config } satisfies CacheEntry), {
          mode: 0o600,
          durable: false,
        }),
      )
      .then(() => afterWrite?.())
      .catch(() => undefined);
  }
  return config;
};

/**
 * Where a command run by this OS user caches `configFile`: `$XDG_CACHE_HOME/zops` or `~/.cache/zops`; undefined without
 * a home directory or with ZOPS_CONFIG_CACHE=off.
 */
export const userConfigCacheFile = (configFile: string): string | undefined => {
  if (process.env.ZOPS_CONFIG_CACHE === "off") return undefined;
  let base = process.env.XDG_CACHE_HOME?.startsWith("/") ? process.env.XDG_CACHE_HOME : undefined;
  try {
    base ??= join(homedir(), ".cache");
  } catch {
    return undefined;
  }
  return join(
    base,
    "zops",
    `config-${createHash("sha256").update(resolve(configFile)).digest("hex").slice(0, 16)}.json`,
  );
};
