import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigCached, readConfigCache, userConfigCacheFile } from "../../src/config/cache.js";
import { makeTempDir } from "../support/temp.js";

describe("validated-config cache", () => {
  it("serves an unchanged zops.yml from the cache, and reloads (and revalidates) it once it changes", async () => {
    const dir = await makeTempDir("config-cache", { forPostgres: false });
    const configFile = join(dir, "zops.yml");
    const cacheFile = join(dir, "cache", "config.json");
    await writeFile(configFile, "repository:\n  url: file:///srv/one\n");
    expect((await loadConfigCached(configFile, cacheFile)).repository.url).toBe("file:///srv/one");
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "cache"))).mode & 0o777).toBe(0o700);

    // The entry is what answers while the file is unchanged: a doctored entry (same key) shows through.
    const entry = JSON.parse(await readFile(cacheFile, "utf8")) as {
      key: string;
      config: { repository: { url: string } };
    };
    await writeFile(
      cacheFile,
      JSON.stringify({
        ...entry,
        config: { ...entry.config, repository: { ...entry.config.repository, url: "file:///from-cache" } },
      }),
    );
    expect((await loadConfigCached(configFile, cacheFile)).repository.url).toBe("file:///from-cache");

    // An entry others could have written is not trusted.
    const { chmod } = await import("node:fs/promises");
    await chmod(cacheFile, 0o620);
    expect(await readConfigCache(cacheFile, configFile)).toBeUndefined();
    await chmod(cacheFile, 0o600);
    expect((await readConfigCache(cacheFile, configFile))?.repository.url).toBe("file:///from-cache");

    // Any change to the file (here: same size, new content) invalidates it.
    await writeFile(configFile, "repository:\n  url: file:///srv/two\n");
    expect(await readConfigCache(cacheFile, configFile)).toBeUndefined();
    expect((await loadConfigCached(configFile, cacheFile)).repository.url).toBe("file:///srv/two");
    await writeFile(configFile, "repository:\n  url: file:///srv/two\n  nonsense: 1\n");
    await expect(loadConfigCached(configFile, cacheFile)).rejects.toThrow(/unknown key 'repository.nonsense'/);

    // $ZOPS_REPOSITORY_URL is part of the key.
    await writeFile(configFile, "repository:\n  url: file:///srv/three\n");
    await loadConfigCached(configFile, cacheFile);
    process.env.ZOPS_REPOSITORY_URL = "file:///srv/env";
    try {
      expect((await loadConfigCached(configFile, cacheFile)).repository.url).toBe("file:///srv/env");
    } finally {
      delete process.env.ZOPS_REPOSITORY_URL;
    }
  });

  it("puts a user's entries under $XDG_CACHE_HOME/zops, one per config path, and can be turned off", () => {
    const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.ZOPS_CONFIG_CACHE };
    try {
      process.env.XDG_CACHE_HOME = "/var/cache/test";
      const one = userConfigCacheFile("/etc/zops/zops.yml");
      expect(one).toMatch(/^\/var\/cache\/test\/zops\/config-[0-9a-f]{16}\.json$/);
      expect(userConfigCacheFile("/etc/zops/other.yml")).not.toBe(one);
      process.env.ZOPS_CONFIG_CACHE = "off";
      expect(userConfigCacheFile("/etc/zops/zops.yml")).toBeUndefined();
    } finally {
      if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved.xdg;
      if (saved.off === undefined) delete process.env.ZOPS_CONFIG_CACHE;
      else process.env.ZOPS_CONFIG_CACHE = saved.off;
    }
  });
});
