import { readdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUpgrade } from "../../src/commands/upgrade.js";
import { parseConfig, type ZopsConfig } from "../../src/config/index.js";
import { inspectRelease } from "../../src/deploy/release/read-release.js";
import { ReleaseTree } from "../../src/deploy/release/release-tree.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { rawTarball, type RawEntry } from "./raw-tar.js";

const manifest = "format: 1\nname: demo-app\nversion: 9.0.0\n";
const top = (extra: RawEntry[]): RawEntry[] => [
  { name: "demo/", type: "5" },
  { name: "demo/zops-release.yml", body: manifest },
  { name: "demo/app.js", body: "ok\n" },
  ...extra,
];

// Each hostile case: entries, and the entry name the error must quote.
const HOSTILE: [string, RawEntry[], string][] = [
  ["an absolute path", top([{ name: "/tmp/zops-evil-absolute", body: "x" }]), "/tmp/zops-evil-absolute"],
  ["'..' in a path", top([{ name: "demo/../../zops-evil-dotdot", body: "x" }]), "demo/../../zops-evil-dotdot"],
  ["a symlink leaving the release", top([{ name: "demo/etc", type: "2", linkname: "../../../etc" }]), "demo/etc"],
  ["a symlink to an absolute path", top([{ name: "demo/passwd", type: "2", linkname: "/etc/passwd" }]), "demo/passwd"],
  [
    "a symlink escaping through another symlink",
    top([
      { name: "demo/self", type: "2", linkname: "." },
      { name: "demo/up", type: "2", linkname: "self/.." },
    ]),
    "demo/up",
  ],
  [
    "a file written through a symlink",
    top([
      { name: "demo/lib", type: "2", linkname: "app.js" },
      { name: "demo/lib/x.js", body: "x" },
    ]),
    "demo/lib/x.js",
  ],
  ["a hard link", top([{ name: "demo/hard", type: "1", linkname: "demo/app.js" }]), "demo/hard"],
  ["a character device", top([{ name: "demo/null", type: "3" }]), "demo/null"],
  ["a block device", top([{ name: "demo/sda", type: "4" }]), "demo/sda"],
  ["a fifo", top([{ name: "demo/pipe", type: "6" }]), "demo/pipe"],
  ["a second top directory", top([{ name: "other/file", body: "x" }]), "other/file"],
  [
    "more files than deploy.tarball.maxFiles",
    top(Array.from({ length: 8 }, (_, index) => ({ name: `demo/f${index}`, body: "x" }))),
    "demo/f",
  ],
  [
    "an unpacked size over deploy.tarball.maxUnpackedMb",
    top([{ name: "demo/huge.bin", size: 3 * 1024 * 1024 }]),
    "demo/huge.bin",
  ],
];

let dir: string;
let config: ZopsConfig;

beforeAll(async () => {
  dir = await makeTempDir("tarball", { forPostgres: false });
  const yaml =
    `repository: {url: "file://${dir}/repo"}\ndeploy:\n  root: ` +
    `${dir}/root\n  configDir: ${dir}/etc\n  tarball: {maxFiles: 8, ` +
    `maxUnpackedMb: 2}\n  backup: {policy: off}\n`;
  config = parseConfig(yaml, "test.yml");
});
afterAll(() => removeTempDir(dir));

describe("untrusted release tarballs", () => {
  it.each(HOSTILE)("refuses %s, naming the entry, before writing anything", async (_label, entries, entry) => {
    const file = join(dir, `hostile-${Math.random().toString(36).slice(2)}.tar.gz`);
    await writeFile(file, rawTarball(entries));
    const attempt = runUpgrade({ json: true, verbose: false }, file, { yes: true }, { config });
    await expect(attempt).rejects.toMatchObject({
      code: "PRECONDITION",
      message: expect.stringContaining(`'${entry}`),
    });
    // Nothing unpacked or installed: only zops' own lock/log state may exist under the root.
    expect(await readdir(join(dir, "root")).catch(() => [])).toEqual([".zops"]);
    expect(await readdir(join(dir, "root", ".zops"))).toEqual(["upgrade.log"]);
    expect(existsSync(join(dir, "etc"))).toBe(false);
    expect(existsSync("/tmp/zops-evil-absolute") || existsSync(join(dir, "..", "zops-evil-dotdot"))).toBe(false);
  });

  it("accepts symlinks that stay inside the release and reports size and entries", async () => {
    const file = join(dir, "good.tar.gz");
    await writeFile(
      file,
      rawTarball(
        top([
          { name: "demo/bin/", type: "5" },
          { name: "demo/bin/run", type: "2", linkname: "../app.js" },
          { name: "demo/cur", type: "2", linkname: "bin/../app.js" },
        ]),
      ),
    );
    const summary = await inspectRelease(file, { maxFiles: 100, maxUnpackedBytes: 1 << 20 });
    expect(summary).toMatchObject({ top: "demo", entries: 6, unpackedBytes: manifest.length + 3 });
    expect(summary.files.get("zops-release.yml")?.toString()).toBe(manifest);
  });

  it("refuses a file that is not a tar archive, and a tarball without a manifest", async () => {
    const junk = join(dir, "junk.tar.gz");
    await writeFile(junk, "this is not a tarball at all");
    await expect(inspectRelease(junk, { maxFiles: 10, maxUnpackedBytes: 1000 })).rejects.toMatchObject({
      code: "PRECONDITION",
    });
    const bare = join(dir, "bare.tar.gz");
    await writeFile(bare, rawTarball([{ name: "demo/app.js", body: "x" }]));
    await expect(runUpgrade({ json: true, verbose: false }, bare, { yes: true }, { config })).rejects.toMatchObject({
      code: "PRECONDITION",
      message: expect.stringContaining("zops-release.yml"),
    });
  });

  it("resolves release-internal symlinks physically, through the tree as it will exist", () => {
    const tree = new ReleaseTree();
    const add = (name: string, kind: "file" | "directory" | "symlink", linkName = "") =>
      tree.add({ name, kind, typeFlag: "", linkName, size: 0, mode: 0o755, mtimeSeconds: 0, unsupported: undefined });
    add("demo/", "directory");
    add("demo/b/c/", "directory");
    add("demo/a", "symlink", "b/c");
    add("demo/self", "symlink", ".");
    expect(tree.resolve("a/../x")).toEqual(["b", "x"]);
    expect(tree.resolve("self/..")).toBe("escapes");
    expect(tree.resolve("../demo/x")).toBe("escapes");
    expect(add("demo/loop", "symlink", "loop/x")).toMatchObject({ path: "loop" });
    expect(tree.findEscapingLink()).toMatchObject({ path: "loop", why: expect.stringContaining("loops") });
  });
});
