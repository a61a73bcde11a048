import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandMeta, CommandResult } from "../../src/commands/command.js";
import {
  EXIT_POLICIES,
  failureStatus,
  NAGIOS_EXITS,
  PLAN_EXITS,
  RESTORE_COMMAND_EXITS,
  resultStatus,
  STANDARD_EXITS,
  usageStatus,
} from "../../src/commands/exits.js";
import { lockKindOf, runCommand } from "../../src/commands/runner.js";
import { ZopsError } from "../../src/errors/index.js";
import { parseConfig } from "../../src/config/index.js";
import { repositoryLockPath } from "../../src/lock/repository-lock.js";
import { run } from "../../src/exec/run.js";
import { zopsCommand } from "../../src/exec/self-command.js";

const COMMANDS = [
  "backup",
  "backups",
  "check",
  "deployments",
  "drift",
  "drill",
  "drills",
  "expire",
  "mark",
  "repo-check",
  "repo-init",
  "report",
  "restore",
  "rollback",
  "upgrade",
  "verify",
  "wal-fetch",
  "wal-push",
  "wal-push-ahead",
];

describe("command declarations", () => {
  it("every command module declares its lock and one of the exit policies --help lists", async () => {
    expect((await readdir("src/commands")).filter((file) => !COMMANDS.includes(file.replace(/\.ts$/, "")))).toEqual([
      "command.ts",
      "exits.ts",
      "load-config.ts",
      "runner.ts",
    ]);
    const locks: Record<string, string[]> = {};
    for (const name of COMMANDS) {
      const { meta } = (await import(resolve(`src/commands/${name}.ts`))) as { meta: CommandMeta };
      expect(EXIT_POLICIES, name).toContain(meta.exits);
      locks[name] = [lockKindOf(meta, [{}]), lockKindOf(meta, [{ plan: true }])];
    }
    expect(locks).toMatchObject({
      backup: ["repo-write", "repo-write"],
      expire: ["repo-write", "repo-write"],
      restore: ["repo-read", "repo-read"],
      verify: ["repo-read", "repo-read"],
      drill: ["repo-read", "repo-read"],
      upgrade: ["deploy", "none"],
      rollback: ["deploy", "none"],
      deployments: ["none", "none"],
      mark: ["none", "none"],
      "wal-push": ["none", "none"],
      "wal-fetch": ["none", "none"],
    });
    const help = await run(zopsCommand()[0] ?? "node", [...zopsCommand().slice(1), "--help"]);
    for (const policy of EXIT_POLICIES) if (policy.help) expect(help.stdout).toContain(policy.help.slice(0, 60));
    expect(help.stdout).toMatch(/\n\s+64\s+bad command-line usage/);
    expect(help.stdout).not.toMatch(/\n\s+2\s+bad command-line usage/);
  });

  it("maps outcomes, errors and usage errors through the declared policy", () => {
    const result = (outcome?: string): CommandResult => ({ outcome });
    expect(resultStatus(STANDARD_EXITS, result())).toBe(0);
    expect(resultStatus(STANDARD_EXITS, result("PARTIAL"))).toBe(13);
    expect(resultStatus(STANDARD_EXITS, result("no-such-outcome"))).toBe(1);
    expect(resultStatus(NAGIOS_EXITS, result("warning"))).toBe(1);
    expect(resultStatus(NAGIOS_EXITS, result("critical"))).toBe(2);
    expect(resultStatus(PLAN_EXITS, result("nothing"))).toBe(0);
    expect(resultStatus(PLAN_EXITS, result("planned"))).toBe(2);
    expect(resultStatus(PLAN_EXITS, result("blocked"))).toBe(4);
    const notFound = new ZopsError("STORAGE_NOT_FOUND", "no segment");
    expect(failureStatus(STANDARD_EXITS, notFound)).toBe(6);
    expect(failureStatus(RESTORE_COMMAND_EXITS, notFound)).toBe(1);
    expect(failureStatus(RESTORE_COMMAND_EXITS, new ZopsError("STORAGE_IO", "x"))).toBe(128);
    expect(failureStatus(NAGIOS_EXITS, new Error("bug"))).toBe(3);
    expect(failureStatus(STANDARD_EXITS, new Error("bug"))).toBe(1);
    expect([STANDARD_EXITS, RESTORE_COMMAND_EXITS, NAGIOS_EXITS, PLAN_EXITS].map(usageStatus)).toEqual([
      64, 128, 3, 64,
    ]);
  });
});

describe("the runner", () => {
  it("holds the declared lock while the command runs and releases it however the command ends", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zops-runner-"));
    const config = parseConfig(
      `repository: {url: "file://${dir}/repo"}\npostgres: {dataDir: ${dir}/data}\ndeploy: {root: ${dir}/deploy}\n`,
      "zops.yml",
    );
    const lockFile = repositoryLockPath(config);
    const seen: string[][] = [];
    const command = (fail: boolean) => ({
      meta: { lock: "repo-write", exits: STANDARD_EXITS } satisfies CommandMeta,
      run: async () => {
        seen.push(await readdir(dir));
        if (fail) throw new ZopsError("VERIFY_FAILED", "damaged");
        return { outcome: "PARTIAL", json: { done: true } };
      },
    });
    const globals = { json: true, verbose: false };
    const ok = await runCommand(command(false), { name: "backup", globals, args: [{}], config });
    expect(ok).toMatchObject({ status: 13, result: { json: { done: true } } });
    const failed = await runCommand(command(true), { name: "backup", globals, args: [{}], config });
    expect(failed).toMatchObject({ status: 7, error: { code: "VERIFY_FAILED" } });
    expect(seen).toEqual([[".zops-backup.lock"], [".zops-backup.lock"]]);
    expect(await readdir(dir)).toEqual([]);
    await writeFile(lockFile, JSON.stringify({ pid: 1, host: "elsewhere", startedAt: "x", command: "zops expire" }));
    const refused = await runCommand(command(false), { name: "backup", globals, args: [{}], config });
    expect(refused).toMatchObject({ status: 5, error: { code: "LOCK_HELD" } });
    expect(seen).toHaveLength(2);
  });
});
