import { resultStatus } from "../../src/commands/exits.js";
import { chmod, chown, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRepoCheck, meta as repoCheckMeta } from "../../src/commands/repo-check.js";
import { runRepoInit } from "../../src/commands/repo-init.js";
import { lookupOsUser } from "../../src/pg/os-user.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeRepoConfig } from "./repo-helpers.js";

type CheckJson = { ok: boolean; results: { id: string; status: string; detail: string; error?: { hint?: string } }[] };

// Issue 14 item 2: set up in the README's order (repo init as root, archive_command as postgres). On main at ff52c7c
// repo init leaves a root-owned drwxr-x--- directory and repo check passes all the same, so every wal-push fails.
describe.runIf(process.getuid?.() === 0)("repo init / repo check and the archiving user (as root)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir("repo-user", { forPostgres: false });
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  it("repo init gives a file repository to postgres; repo check fails when postgres cannot write", async () => {
    const postgres = await lookupOsUser("postgres");
    const repo = join(dir, "repo");
    const globals = await writeRepoConfig(dir, { url: pathToFileURL(repo).href });
    const init = await runRepoInit(globals);
    expect(init.text).toContain("owned by postgres (the archiving user)");
    const info = await stat(repo);
    expect({ uid: info.uid, gid: info.gid }).toEqual({ uid: postgres.uid, gid: postgres.gid });
    const marker = await stat(join(repo, "zops-repository.json"));
    expect(marker.uid).toBe(postgres.uid);

    const good = await runRepoCheck(globals);
    expect(resultStatus(repoCheckMeta.exits, good), good.text).toBe(0);
    const row = (good.json as CheckJson).results.find((result) => result.id === "archiving-user");
    expect(row).toMatchObject({ status: "ok", detail: expect.stringContaining("postgres can read") });

    // What the old repo init left: root-owned, drwxr-x---.
    await chown(repo, 0, 0);
    await chmod(repo, 0o750);
    const bad = await runRepoCheck(globals);
    expect(resultStatus(repoCheckMeta.exits, bad)).toBe(4);
    const failed = (bad.json as CheckJson).results.find((result) => result.id === "archiving-user");
    expect(failed?.status).toBe("failed");
    expect(failed?.detail).toMatch(/archiving user 'postgres' cannot create a directory in the repository .*EACCES/);
    expect(failed?.error?.hint).toContain(`chown -R postgres: ${repo}`);
    expect(bad.text).toContain("FAILED");

    // A configuration file postgres cannot read is named too.
    await chown(repo, postgres.uid, postgres.gid);
    await chmod(globals.config ?? "", 0o600);
    const unreadable = await runRepoCheck(globals);
    expect(resultStatus(repoCheckMeta.exits, unreadable)).toBe(4);
    expect(unreadable.text).toMatch(/cannot read the configuration file .*EACCES/);
  });
});
