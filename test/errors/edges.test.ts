import { execa } from "execa";
import { closeSync, openSync, writeSync } from "node:fs";
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoReleases } from "../../templates/demo-app/build-releases.mjs";
import { startDrillFixture, type DrillFixture } from "../drill/support.js";
import { makeFileRepository, runZops } from "../wal/support.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

// Every command at the edges an operator can cause: a full local disk (a small tmpfs filled up), a read-only target
// (a tmpfs remounted read-only) and a dead PostgreSQL. Each must end with a typed code, never INTERNAL (exit 1): the
// JSON envelope names the code, and the case says which codes are right. A case that fails because of code another
// helper owns right now is marked with `owner` (run as it.fails, so it turns red once fixed: then unmark it).

type Scenario = "disk-full" | "read-only" | "postgres-down";

interface Case {
  readonly scenario: Scenario;
  readonly command: string;
  /** How the case is named when the command alone does not tell it apart. */
  readonly label?: string;
  readonly args: (paths: Paths) => string[];
  /** The config file (by name) the case runs with. */
  readonly config: keyof Configs;
  /** The error codes (or "ok") a right answer may have. */
  readonly expect: readonly string[];
  /** Code owned by another helper that does not pass yet. */
  readonly owner?: string;
}

interface Paths {
  readonly full: string;
  readonly readOnly: string;
  readonly segment: string;
  readonly walDir: string;
  readonly identity: string;
  readonly release: string;
}

interface Configs {
  /** The fixture's repository, everything else on real disk. */
  readonly base: string;
  /** Repository, spool, lock, scratch and deploy root on the full tmpfs (the lock beside it on real disk). */
  readonly full: string;
  /** The same, with the lock file on the full tmpfs too. */
  readonly fullLock: string;
  /** Repository, spool, scratch and deploy root on the read-only tmpfs. */
  readonly readOnly: string;
  /** A repository location on the full tmpfs that does not exist yet. */
  readonly fullInit: string;
  /** A repository location on the read-only tmpfs that does not exist yet. */
  readonly readOnlyInit: string;
}

const OK = ["ok"];
const on = (scenario: Scenario, config: keyof Configs, expectCodes: readonly string[], owner?: string) => ({
  scenario,
  config,
  expect: expectCodes,
  owner,
});

// The walk: every command in each scenario.
const CASES: Case[] = [
  // --- a full local disk ---
  { command: "repo init", args: () => [], ...on("disk-full", "fullInit", ["DISK_FULL"]) },
  { command: "repo check", args: () => [], ...on("disk-full", "full", ["DISK_FULL"]) },
  { command: "wal-push", args: (p) => [p.segment], ...on("disk-full", "full", ["DISK_FULL"]) },
  // Its lock and records live in the spool on the full disk: a typed answer naming the spool, or nothing to do.
  { command: "wal-push-ahead", args: (p) => [p.walDir], ...on("disk-full", "full", ["ok", "DISK_FULL"]) },
  {
    command: "wal-fetch",
    args: (p) => [p.segment.split("/").pop() ?? "", join(p.full, "pg_wal", "RECOVERYXLOG")],
    ...on("disk-full", "base", ["DISK_FULL"]),
  },
  { command: "check", args: () => [], ...on("disk-full", "full", ["ok", "warning", "critical", "unknown"]) },
  { command: "backup", args: () => ["--type", "full"], ...on("disk-full", "full", ["DISK_FULL", "PARTIAL"]) },
  {
    command: "backup",
    label: "backup (its lock file on the full disk)",
    args: () => ["--type", "full"],
    ...on("disk-full", "fullLock", ["DISK_FULL"]),
  },
  { command: "backups", args: () => [], ...on("disk-full", "full", OK) },
  {
    command: "restore",
    args: (p) => ["--to", join(p.full, "restore")],
    ...on("disk-full", "base", ["DISK_FULL"]),
  },
  {
    command: "restore",
    label: "restore --uploads-to",
    args: (p) => ["--uploads-to", join(p.full, "uploads")],
    ...on("disk-full", "base", ["DISK_FULL"]),
  },
  {
    command: "restore",
    label: "restore --secrets-to",
    args: (p) => ["--secrets-to", join(p.full, "secrets"), "--identity", p.identity],
    ...on("disk-full", "base", ["DISK_FULL"]),
  },
  { command: "expire", args: () => [], ...on("disk-full", "full", OK) },
  { command: "verify", args: () => [], ...on("disk-full", "full", OK) },
  {
    command: "drill",
    args: (p) => ["--identity", p.identity],
    ...on("disk-full", "full", ["DISK_FULL"]),
  },
  {
    command: "upgrade",
    args: (p) => [p.release, "--yes"],
    ...on("disk-full", "full", ["DISK_FULL"]),
  },
  { command: "rollback", args: () => [], ...on("disk-full", "full", ["NOT_FOUND", "DISK_FULL"]) },
  { command: "deployments", args: () => [], ...on("disk-full", "full", OK) },
  { command: "drift", args: () => [], ...on("disk-full", "full", OK) },

  // --- a read-only target ---
  { command: "repo init", args: () => [], ...on("read-only", "readOnlyInit", ["STORAGE_IO", "LOCAL_ACCESS"]) },
  { command: "repo check", args: () => [], ...on("read-only", "readOnly", ["STORAGE_IO"]) },
  { command: "wal-push", args: (p) => [p.segment], ...on("read-only", "readOnly", ["STORAGE_IO"]) },
  { command: "wal-push-ahead", args: (p) => [p.walDir], ...on("read-only", "readOnly", ["ok", "LOCAL_ACCESS"]) },
  {
    command: "wal-fetch",
    args: (p) => [p.segment.split("/").pop() ?? "", join(p.readOnly, "pg_wal", "RECOVERYXLOG")],
    ...on("read-only", "base", ["LOCAL_ACCESS"]),
  },
  { command: "check", args: () => [], ...on("read-only", "readOnly", ["ok", "warning", "critical", "unknown"]) },
  { command: "backup", args: () => ["--type", "full"], ...on("read-only", "readOnly", ["STORAGE_IO", "PARTIAL"]) },
  { command: "backups", args: () => [], ...on("read-only", "readOnly", OK) },
  {
    command: "restore",
    args: (p) => ["--to", join(p.readOnly, "restore")],
    ...on("read-only", "base", ["LOCAL_ACCESS", "PRECONDITION"]),
  },
  {
    command: "restore",
    label: "restore --uploads-to",
    args: (p) => ["--uploads-to", join(p.readOnly, "uploads")],
    ...on("read-only", "base", ["LOCAL_ACCESS"]),
  },
  {
    command: "restore",
    label: "restore --secrets-to",
    args: (p) => ["--secrets-to", join(p.readOnly, "secrets"), "--identity", p.identity],
    ...on("read-only", "base", ["LOCAL_ACCESS"]),
  },
  { command: "expire", args: () => [], ...on("read-only", "readOnly", OK) },
  { command: "verify", args: () => [], ...on("read-only", "readOnly", OK) },
  {
    command: "drill",
    args: (p) => ["--identity", p.identity],
    ...on("read-only", "readOnly", ["LOCAL_ACCESS"], "issue10: the drill's scratch directory"),
  },
  {
    command: "upgrade",
    args: (p) => [p.release, "--yes"],
    ...on("read-only", "readOnly", ["LOCAL_ACCESS"]),
  },
  { command: "rollback", args: () => [], ...on("read-only", "readOnly", ["NOT_FOUND", "LOCAL_ACCESS"]) },
  { command: "deployments", args: () => [], ...on("read-only", "readOnly", OK) },
  { command: "drift", args: () => [], ...on("read-only", "readOnly", OK) },

  // --- a dead PostgreSQL (the fixture's cluster stopped) ---
  { command: "repo check", args: () => [], ...on("postgres-down", "base", OK) },
  { command: "wal-push", args: (p) => [p.segment], ...on("postgres-down", "base", OK) },
  {
    command: "wal-fetch",
    args: (p) => [p.segment.split("/").pop() ?? "", join(p.full, "..", "fetched")],
    ...on("postgres-down", "base", OK),
  },
  { command: "check", args: () => [], ...on("postgres-down", "base", ["critical", "unknown"]) },
  { command: "backup", args: () => ["--type", "full"], ...on("postgres-down", "base", ["POSTGRES", "PARTIAL"]) },
  { command: "backups", args: () => [], ...on("postgres-down", "base", OK) },
  { command: "restore", args: (p) => ["--to", join(p.full, "..", "restored")], ...on("postgres-down", "base", OK) },
  { command: "expire", args: () => [], ...on("postgres-down", "base", OK) },
  { command: "verify", args: () => [], ...on("postgres-down", "base", OK) },
  { command: "drill", args: (p) => ["--identity", p.identity], ...on("postgres-down", "base", OK) },
  {
    command: "upgrade",
    args: (p) => [p.release, "--yes"],
    ...on("postgres-down", "base", ["POSTGRES"], "issue12: migrations and the restore point"),
  },
  { command: "rollback", args: () => [], ...on("postgres-down", "base", ["NOT_FOUND"]) },
  { command: "deployments", args: () => [], ...on("postgres-down", "base", OK) },
  { command: "drift", args: () => [], ...on("postgres-down", "base", OK) },
];

let fixture: DrillFixture;
let work: string | undefined;
let paths: Paths;
let configs: Configs;
const mounts: string[] = [];

const mountTmpfs = async (dir: string, sizeKb: number): Promise<void> => {
  await mkdir(dir, { recursive: true });
  await execa("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k,mode=0777`, "tmpfs", dir]);
  mounts.push(dir);
};

// Fills the file system holding `dir` until a write fails with ENOSPC.
const fillUp = (dir: string): void => {
  const fd = openSync(join(dir, "filler"), "w");
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
};

beforeAll(async () => {
  fixture = await startDrillFixture({ url: (await makeFileRepository()).url });
  const backup = await runZops(["--config", fixture.config.path, "--json", "backup", "--type", "full"]);
  expect(backup.exitCode, String(backup.stderr)).toBe(0);
  const dir = await makeTempDir("edges", { forPostgres: false });
  work = dir;
  const full = join(dir, "full");
  const readOnly = join(dir, "read-only");
  await mountTmpfs(full, 2048);
  await mountTmpfs(readOnly, 2048);
  const releases = await buildDemoReleases(join(dir, "releases"));
  const walDir = join(fixture.cluster.dataDir, "pg_wal");
  const segment = (await readdir(walDir)).filter((name) => /^[0-9A-F]{24}$/.test(name)).sort()[0] ?? "";
  // A copy: the cluster recycles its own segments while the walk runs.
  await mkdir(join(dir, "wal"), { recursive: true });
  await copyFile(join(walDir, segment), join(dir, "wal", segment));
  // Marked ready, as PostgreSQL marks a finished segment (wal-push refuses a file without its .ready).
  await mkdir(join(dir, "wal", "archive_status"), { recursive: true });
  await writeFile(join(dir, "wal", "archive_status", `${segment}.ready`), "");
  paths = {
    full,
    readOnly,
    segment: join(dir, "wal", segment),
    walDir,
    identity: fixture.identityFile,
    release: releases.v1,
  };

  const base = fixture.config.config;
  const write = async (name: string, overrides: Record<string, unknown>): Promise<string> => {
    const file = join(dir, `${name}.yml`);
    await writeFile(file, stringify({ ...base, ...overrides }));
    return file;
  };
  const placedOn = (root: string, lockDir: string) => ({
    repository: { ...base.repository, url: `file://${root}/repo` },
    backup: { ...base.backup, lockFile: join(lockDir, "backup.lock") },
    wal: { ...base.wal, spoolDir: join(root, "spool") },
    drill: { ...base.drill, scratchDir: join(root, "scratch") },
    deploy: { ...base.deploy, root: join(root, "deploy"), configDir: join(root, "etc"), backup: { policy: "off" } },
  });
  configs = {
    base: await write("base", { deploy: { ...base.deploy, root: join(dir, "deploy"), backup: { policy: "off" } } }),
    full: await write("full", placedOn(full, dir)),
    fullLock: await write("full-lock", placedOn(full, full)),
    readOnly: await write("read-only", placedOn(readOnly, dir)),
    fullInit: await write("full-init", {
      ...placedOn(full, dir),
      repository: { ...base.repository, url: `file://${full}/new` },
    }),
    readOnlyInit: await write("read-only-init", {
      ...placedOn(readOnly, dir),
      repository: { ...base.repository, url: `file://${readOnly}/new` },
    }),
  };
  // Repositories that exist (marker written) before the disk fills up or turns read-only.
  for (const config of [configs.full, configs.readOnly]) {
    const init = await runZops(["--config", config, "repo", "init"]);
    expect(init.exitCode, String(init.stderr)).toBe(0);
  }
  for (const dir of ["pg_wal", "deploy", "etc", "scratch"]) {
    await mkdir(join(full, dir), { recursive: true });
    await mkdir(join(readOnly, dir), { recursive: true });
  }
  fillUp(full);
  await execa("mount", ["-o", "remount,ro", readOnly]);
}, 600_000);

afterAll(async () => {
  for (const dir of mounts.reverse()) await execa("umount", ["-l", dir]).catch(() => undefined);
  await fixture?.destroy();
  if (work) await removeTempDir(work);
});

const scenarios: Scenario[] = ["disk-full", "read-only", "postgres-down"];
describe.each(scenarios)("every command with %s", (scenario) => {
  if (scenario === "postgres-down")
    beforeAll(async () => {
      await fixture.cluster.stop();
    });
  for (const entry of CASES.filter((item) => item.scenario === scenario)) {
    const title = `${entry.label ?? entry.command} ends as ${entry.expect.join(" or ")}`;
    const test = entry.owner ? it.fails : it;
    test(`${title}${entry.owner ? ` [owner: ${entry.owner}]` : ""}`, { timeout: 300_000 }, async () => {
      const result = await runZops(
        ["--json", "--config", configs[entry.config], ...entry.command.split(" "), ...entry.args(paths)],
        {
          env: { ZOPS_QUIET: "1", ZOPS_CONFIG_CACHE: "off" },
        },
      );
      const envelope = JSON.parse(String(result.stdout)) as {
        exitStatus: number;
        ok: boolean;
        outcome?: string;
        error?: { code: string };
        result?: { failedParts?: { code: string }[] };
      };
      const ending = envelope.error?.code ?? envelope.outcome ?? "ok";
      const context = `${entry.command}: ${String(result.stderr).slice(0, 2000)}`;
      expect(result.exitCode, context).toBe(envelope.exitStatus);
      expect(String(result.stdout), context).not.toContain('"INTERNAL"');
      expect(entry.expect, context).toContain(ending);
      if (!(entry.command === "check" && ending === "warning")) expect(result.exitCode, context).not.toBe(1);
      for (const part of envelope.result?.failedParts ?? []) expect(entry.expect, context).toContain(part.code);
    });
  }
});
