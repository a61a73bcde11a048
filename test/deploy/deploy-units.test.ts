import { mkdir, mkdtemp, readlink, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { checkBackupFreshness, type BackupCatalog } from "../../src/deploy/backup-freshness.js";
import { deploymentName, purgeDeployments } from "../../src/deploy/deployments.js";
import { actionFor, classifyConffile } from "../../src/deploy/drift.js";
import { hasDownMigration, migrationFilesOf } from "../../src/deploy/migrations.js";
import { deployPaths } from "../../src/deploy/paths.js";
import { parseReleaseManifest } from "../../src/deploy/release-manifest.js";
import { renderTemplate } from "../../src/deploy/render.js";
import { readSymlink, switchSymlink } from "../../src/deploy/symlink.js";
import { compareVersions } from "../../src/deploy/version.js";

describe("dpkg conffile table", () => {
  it.each([
    // base, shipped, disk -> class
    [undefined, "N", undefined, "new"],
    [undefined, "N", "N", "unchanged"],
    [undefined, "N", "L", "created-locally"],
    ["B", "B", "B", "unchanged"],
    ["B", "N", "B", "upgrade"],
    ["B", "B", "L", "kept-local-edit"],
    ["B", "B", undefined, "kept-local-delete"],
    ["B", "N", "L", "conflict"],
    ["B", "N", undefined, "conflict"],
    ["B", "N", "N", "unchanged"],
  ] as const)("base %s, shipped %s, disk %s is %s", (base, shipped, disk, kind) => {
    expect(classifyConffile(base, shipped, disk)).toBe(kind);
  });

  it("decides conflicts by policy and never touches kept files", () => {
    expect([actionFor("conflict", "fail"), actionFor("conflict", "keep"), actionFor("conflict", "replace")]).toEqual([
      "blocked",
      "keep-write-dist",
      "replace-save-old",
    ]);
    expect([actionFor("kept-local-edit", "replace"), actionFor("upgrade", "keep"), actionFor("new", "fail")]).toEqual([
      "none",
      "install",
      "install",
    ]);
  });
});

describe("versions, templates, manifests, migrations", () => {
  it("compares versions part by part, numerically", () => {
    expect(compareVersions("1.10.0", "1.9.3")).toBe(1);
    expect(compareVersions("2.0.0-rc1", "2.0.0")).toBe(-1);
    expect(compareVersions("2.0", "2.0.0")).toBe(0);
    expect(compareVersions("1.0.0", "1.0.1")).toBe(-1);
  });

  it("renders variables and names an unknown one", () => {
    expect(renderTemplate("port = {{ port }}\n", { port: "80" }, "t")).toBe("port = 80\n");
    expect(() => renderTemplate("x = {{nope}}", { port: "80" }, "config template 'a.tmpl'")).toThrow(
      /a\.tmpl' uses the unknown variable '\{\{nope\}\}'/,
    );
  });

  it("rejects manifests with '..' destinations, unknown keys or a wrong format", () => {
    expect(() =>
      parseReleaseManifest(
        "format: 1\nname: a\nversion: 1\nconfigs: [{template: t, destination: ../../etc/shadow}]\n",
        "m",
      ),
    ).toThrow(/configs\.0\.destination/);
    expect(() => parseReleaseManifest("format: 1\nname: a\nversion: 1\nsurprise: true\n", "m")).toThrow(/surprise/);
    expect(() => parseReleaseManifest("format: 2\nname: a\nversion: 1\n", "m")).toThrow(/format/);
  });

  it("orders migrations like node-pg-migrate and tells reversible ones apart", () => {
    expect(migrationFilesOf(["002_b.sql", ".hidden.sql", "001_a.js", "README.md"]).map((file) => file.name)).toEqual([
      "001_a",
      "002_b",
    ]);
    expect(hasDownMigration("a.sql", "-- Up Migration\nCREATE TABLE t();\n-- Down Migration\nDROP TABLE t;")).toBe(
      true,
    );
    expect(hasDownMigration("a.sql", "-- Up Migration\nCREATE TABLE t();")).toBe(false);
    expect(hasDownMigration("a.js", "exports.up = () => {};\nexports.down = false;")).toBe(false);
    expect(hasDownMigration("a.mjs", "export const up = () => {};\nexport async function down(pgm) {}")).toBe(true);
  });
});

describe("backup freshness (pluggable catalog; tested with fake catalogs)", () => {
  const policy = (value: "off" | "warn" | "require") => ({ policy: value, maxAgeHours: 24 });
  const at = (hoursAgo: number): BackupCatalog => ({
    latestBackup: async () => ({ id: "b1", finishedAt: new Date(Date.now() - hoursAgo * 3_600_000) }),
  });
  const none: BackupCatalog = { latestBackup: async () => undefined };
  const broken: BackupCatalog = {
    latestBackup: async () => {
      throw new Error("bucket unreachable");
    },
  };

  it("passes a fresh backup, warns or blocks on a stale, missing or unreadable one, and can be off", async () => {
    expect((await checkBackupFreshness(at(2), policy("require"))).status).toBe("ok");
    expect(await checkBackupFreshness(at(30), policy("warn"))).toMatchObject({
      status: "warn",
      message: expect.stringContaining("30.0 h old"),
    });
    expect((await checkBackupFreshness(at(30), policy("require"))).status).toBe("blocked");
    expect((await checkBackupFreshness(none, policy("require"))).status).toBe("blocked");
    expect(await checkBackupFreshness(broken, policy("warn"))).toMatchObject({
      status: "warn",
      message: expect.stringContaining("bucket unreachable"),
    });
    expect((await checkBackupFreshness(broken, policy("off"))).status).toBe("skipped");
  });
});

describe("deployment links and retention", () => {
  it("switches a link atomically (relative target) and refuses a real directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zops-links-"));
    await mkdir(join(dir, "a"));
    await mkdir(join(dir, "b"));
    await switchSymlink(join(dir, "current"), join(dir, "a"));
    await switchSymlink(join(dir, "current"), join(dir, "b"));
    expect(await readlink(join(dir, "current"))).toBe("b");
    expect(await readSymlink(join(dir, "current"))).toBe(join(dir, "b"));
    await mkdir(join(dir, "real"));
    await expect(switchSymlink(join(dir, "real"), join(dir, "a"))).rejects.toMatchObject({ code: "PRECONDITION" });
    await rm(dir, { recursive: true });
  });

  it("purges beyond keep, never current, last or next", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zops-purge-"));
    const paths = deployPaths(
      parseConfig(`repository: {url: "file://${dir}/repo"}\ndeploy: {root: ${dir}}\n`, "t.yml").deploy,
    );
    const names = [
      "2026-01-01-00-00-00",
      "2026-01-02-00-00-00",
      "2026-01-03-00-00-00",
      "2026-01-04-00-00-00",
      "2026-01-05-00-00-00",
      "2026-01-06-00-00-00",
    ];
    for (const name of names) await mkdir(join(paths.deployments, name), { recursive: true });
    await symlink(names[0] ?? "", paths.last);
    await symlink(names[5] ?? "", paths.current);
    await symlink(names[1] ?? "", paths.next);
    expect(await purgeDeployments(paths, 1)).toEqual(["2026-01-03-00-00-00", "2026-01-04-00-00-00"]);
    expect(deploymentName(new Date("2026-01-06T00:00:00Z"), new Set(names))).toBe("2026-01-06-00-00-00-2");
    await rm(dir, { recursive: true });
  });
});
