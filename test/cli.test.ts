import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/exec/run.js";
import { zopsCommand } from "../src/exec/self-command.js";

const zops = (args: string[], env: Record<string, string> = {}) => {
  const [file, ...prefix] = zopsCommand();
  return run(file ?? "zops", [...prefix, ...args], { reject: false, env: { ZOPS_CONFIG: "", ...env } });
};

describe("zops CLI", () => {
  it("documents the exit codes in --help", async () => {
    const result = await zops(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Exit status:/);
    expect(result.stdout).toMatch(/\n\s+5\s+another zops process holds the lock/);
    expect(result.stdout).toContain("wal-fetch: 1 = segment not in the archive");
  });

  it("ends quietly when the reader of its output goes away (zops --help | head -1)", async () => {
    const [file, ...prefix] = zopsCommand();
    const command = [file, ...prefix, "--help"].map((part) => `'${part}'`).join(" ");
    const result = await run("bash", ["-o", "pipefail", "-c", `${command} | head -c 1 >/dev/null`], {
      reject: false,
      env: { ZOPS_CONFIG: "" },
    });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("exits 64 (EX_USAGE) on a usage error, never 2, which --plan and drift use for changes", async () => {
    const result = await zops(["no-such-command"]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain("unknown command");
    const missing = await zops(["restore", "--target-action", "explode"]);
    expect(missing.exitCode).toBe(64);
    expect(missing.stderr).toContain("--target-action");
  });

  it(
    "exits 128 on a malformed wal-fetch call, so PostgreSQL stops " +
      "recovery instead of treating it as the end of the archive",
    async () => {
      const result = await zops(["wal-fetch", "000000010000000000000001"]);
      expect(result.exitCode).toBe(128);
      expect(result.stderr).toContain("missing required argument");
    },
  );

  it("exits 3 on a bad config, naming file, line and key, with a HINT and no stack trace", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zops-cli-"));
    const config = join(dir, "zops.yml");
    await writeFile(config, "repository:\n  url: file:///tmp/x\n  colour: blue\n");
    const result = await zops(["--config", config, "repo", "check"]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`${config}:3: unknown key 'repository.colour'`);
    expect(result.stderr).toMatch(/^HINT: /m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("reports a missing config file with the fix, as JSON with --json", async () => {
    const result = await zops(["--json", "--config", "/nonexistent/zops.yml", "repo", "check"]);
    expect(result.exitCode).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      error: { code: "CONFIG_INVALID", hint: expect.stringContaining("templates/zops.yml") },
    });
  });
});
