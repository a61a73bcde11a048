import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config/index.js";
import { ZopsError } from "../../src/errors/index.js";

const failure = (text: string): ZopsError => {
  try {
    parseConfig(text, "/etc/zops/zops.yml", {});
  } catch (error) {
    if (error instanceof ZopsError) return error;
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
};

describe("config loading", () => {
  it("accepts the fixed keys alone and fills every default", () => {
    const config = parseConfig("repository:\n  url: file:///var/backups/zops\n", "x.yml", {});
    expect(config.repository.url).toBe("file:///var/backups/zops");
    expect(config.postgres).toMatchObject({ port: 5432, user: "postgres", host: "/var/run/postgresql" });
    expect(config.storage.timeoutSeconds).toBe(60);
  });

  it("names the file, line and key of an unknown key, with the keys that were expected", () => {
    const error = failure("repository:\n  url: file:///r\npostgres:\n  port: 5432\n  dataDirr: /x\n");
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("/etc/zops/zops.yml:5: unknown key 'postgres.dataDirr'");
    expect(error.message).toContain("expected one of: dataDir, host, port");
  });

  it("names the line and the expected type of a wrong type", () => {
    const error = failure("repository:\n  url: file:///r\npostgres:\n  port: '5432'\n");
    expect(error.message).toContain("/etc/zops/zops.yml:4: key 'postgres.port': expected number, got string \"5432\"");
  });

  it("reports a missing required key at its parent's line", () => {
    const error = failure("postgres:\n  port: 5432\n");
    expect(error.message).toContain("missing required key 'repository'");
    expect(error.hint).toContain("templates/zops.yml");
  });

  it("rejects a malformed URL and YAML syntax errors with line numbers", () => {
    expect(failure("repository:\n  url: http://x\n").message).toContain(":2: key 'repository.url'");
    expect(failure("repository: [\n").message).toMatch(/zops\.yml:\d+: invalid YAML/);
  });

  it("lets ZOPS_REPOSITORY_URL override the repository", () => {
    const config = parseConfig("repository:\n  url: file:///a\n", "x.yml", { ZOPS_REPOSITORY_URL: "s3://bucket/p" });
    expect(config.repository.url).toBe("s3://bucket/p");
  });

  it("reports a missing file with the fix", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zops-config-"));
    await expect(loadConfig(join(dir, "none.yml"))).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringContaining("no such file"),
    });
  });

  it("accepts templates/zops.yml as shipped", async () => {
    const text = await readFile(new URL("../../templates/zops.yml", import.meta.url), "utf8");
    const dir = await mkdtemp(join(tmpdir(), "zops-config-"));
    await writeFile(join(dir, "zops.yml"), text);
    const { config } = await loadConfig(join(dir, "zops.yml"), {});
    expect(config.repository.url).toBe("file:///var/backups/zops");
  });
});
