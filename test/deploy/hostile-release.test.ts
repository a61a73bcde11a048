import { existsSync } from "node:fs";
import { mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUpgrade } from "../../src/commands/upgrade.js";
import { parseConfig, type ZopsConfig } from "../../src/config/index.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { snapshotTree } from "../upgrade/tree.js";
import { type RawEntry, rawTarball } from "./raw-tar.js";

// The cases of issue 12 ("what was seen"), each against `zops upgrade` as an operator runs it. A deploy root whose
// state is compared before and after: a refused or declined upgrade changes nothing but the lock and the run log.

const globals = { json: true, verbose: false };
const manifest = (extra = "") => `format: 1\nname: demo-app\nversion: 9.0.0\n${extra}`;
const release = (top: string, extra: RawEntry[], manifestExtra = ""): RawEntry[] => [
  { name: `${top}/`, type: "5" },
  { name: `${top}/zops-release.yml`, body: manifest(manifestExtra) },
  { name: `${top}/build.json`, body: '{"version":"9.0.0"}\n' },
  ...extra,
];

let dir: string;
let config: ZopsConfig;
let counter = 0;

const tarball = async (entries: RawEntry[]): Promise<string> => {
  counter += 1;
  const file = join(dir, `release-${counter}.tar.gz`);
  await writeFile(file, rawTarball(entries));
  return file;
};

// The deploy root without zops' own lock and run log (and the state directory's mtime they change).
const rootState = async () =>
  (await snapshotTree(join(dir, "root"))).filter(
    (line) => !/^\.\/\.zops[ /]|^\.\/\.zops$/.test(line) || /restore-points|journal|conffiles|staging/.test(line),
  );

beforeAll(async () => {
  dir = await makeTempDir("hostile", { forPostgres: false });
  const yaml =
    `repository: {url: "file://${dir}/repo"}\ndeploy:\n  root: ${dir}/root\n  configDir: ${dir}/etc\n` +
    "  tarball: {maxFiles: 50, maxUnpackedMb: 2}\n  backup: {policy: off}\n";
  config = parseConfig(yaml, "test.yml");
  await mkdir(join(dir, "root", "deployments"), { recursive: true });
  await mkdir(join(dir, "root", ".zops"), { recursive: true });
  await mkdir(join(dir, "victim"));
  await writeFile(join(dir, "victim", "keep.txt"), "precious\n");
});
afterAll(() => removeTempDir(dir));

describe("issue 12: release tarballs that must be refused before anything is written", () => {
  // Symlinks stored as 's/./tN' were looked up by raw name, so a chain of them was judged lexically: 't4' is
  // physically four levels up, and the shared path 'esc/victim' then deleted '<dir>/victim'.
  const chain: RawEntry[] = [
    { name: "demo/s/", type: "5" },
    { name: "demo/s/./t1", type: "2", linkname: ".." },
    { name: "demo/s/./t2", type: "2", linkname: "t1/.." },
    { name: "demo/s/./t3", type: "2", linkname: "t2/.." },
    { name: "demo/s//t4", type: "2", linkname: "t3/.." },
    { name: "demo/esc", type: "2", linkname: "s/t4" },
  ];

  const CASES: [string, RawEntry[], string, RegExp][] = [
    [
      "an un-normalised symlink chain escaping the release",
      release("demo", chain, "shared: [esc/victim]\n"),
      "demo/s/./t2",
      /outside the release/,
    ],
    [
      "a directory and then a symlink at the same path",
      release("demo", [
        { name: "demo/lib/", type: "5" },
        { name: "demo/lib", type: "2", linkname: "build.json" },
      ]),
      "demo/lib",
      /appears twice/,
    ],
    [
      "a symlink outside, then a symlink inside at the same path",
      release("demo", [
        { name: "demo/x", type: "2", linkname: "../../../../etc" },
        { name: "demo/x", type: "2", linkname: "build.json" },
      ]),
      "demo/x",
      /outside|appears twice/,
    ],
    [
      "two build.json",
      release("demo", [{ name: "demo/./build.json", body: "{}\n" }]),
      "demo/./build.json",
      /appears twice/,
    ],
    [
      "a newline in a name",
      release("demo", [{ name: "demo/evil\nname", body: "x" }]),
      "demo/evil\\x0aname",
      /control character/,
    ],
    ["a backslash in a name", release("demo", [{ name: "demo\\evil", body: "x" }]), "demo\\evil", /backslash/],
    [
      "a GNU sparse file",
      release("demo", [{ name: "demo/sparse.bin", type: "S", size: 0, gnu: true }]),
      "demo/sparse.bin",
      /sparse/,
    ],
    [
      "a PAX sparse file",
      release("demo", [
        {
          name: "demo/GNUSparseFile.0/data.bin",
          body: "x",
          pax: {
            "GNU.sparse.major": "1",
            "GNU.sparse.minor": "0",
            "GNU.sparse.name": "data.bin",
            "GNU.sparse.realsize": "4096",
          },
        },
      ]),
      "demo/GNUSparseFile.0/data.bin",
      /sparse/,
    ],
  ];

  it.each(CASES)(
    "refuses %s (exit 4, naming the entry), with and without --plan, changing nothing",
    async (_label, entries, entry, why) => {
      const file = await tarball(entries);
      const before = await rootState();
      for (const flags of [{ plan: true }, {}, { yes: true }]) {
        const attempt = runUpgrade(globals, file, flags, { config });
        await expect(attempt).rejects.toMatchObject({ code: "PRECONDITION", exitCode: 4 });
        const message = await attempt.catch((error: Error) => error.message);
        expect(message).toContain(`'${entry}'`);
        expect(message).toMatch(why);
      }
      expect(await rootState()).toEqual(before);
      expect(await readFile(join(dir, "victim", "keep.txt"), "utf8")).toBe("precious\n");
      expect(existsSync(join(dir, "shared"))).toBe(false);
    },
  );

  // A shared path is linked without following a symlink on either side: one in the release above it, or one planted
  // in <root>/shared. --plan reports it (exit 4) and a real run is refused before anything is written.
  const refusedShared = async (file: string, why: RegExp) => {
    const before = await rootState();
    const victim = await snapshotTree(join(dir, "victim"));
    const plan = await runUpgrade(globals, file, { plan: true }, { config });
    expect(plan.outcome).toBe("blocked");
    expect(plan.text).toMatch(why);
    for (const flags of [{}, { yes: true }]) {
      const attempt = runUpgrade(globals, file, flags, { config });
      await expect(attempt).rejects.toMatchObject({
        code: "PRECONDITION",
        exitCode: 4,
        message: expect.stringMatching(why),
      });
    }
    expect(await rootState()).toEqual(before);
    expect(await snapshotTree(join(dir, "victim"))).toEqual(victim);
  };

  it("refuses a shared directory under a symlink of the release (plan exit 4), changing nothing", async () => {
    const entries = [
      { name: "demo/app/", type: "5" as const },
      { name: "demo/link", type: "2" as const, linkname: "app" },
    ];
    await refusedShared(
      await tarball(release("demo", entries, "shared: [link/data]\n")),
      /lies under the symlink 'link'/,
    );
  });

  it("refuses a shared directory whose path in <root>/shared is a planted symlink, changing nothing", async () => {
    await mkdir(join(dir, "root", "shared"), { recursive: true });
    await symlink(join(dir, "victim"), join(dir, "root", "shared", "data"));
    try {
      const file = await tarball(release("demo", [{ name: "demo/app.js", body: "ok\n" }], "shared: [data/sub]\n"));
      await refusedShared(file, /shared[/]data' is a symlink/);
    } finally {
      await rm(join(dir, "root", "shared"), { recursive: true, force: true });
    }
  });

  it("declined (no --yes on a non-terminal): the deploy root stays byte-for-byte as it was", async () => {
    const file = await tarball(release("demo", [{ name: "demo/app.js", body: "ok\n" }], "shared: [run]\n"));
    const before = await rootState();
    await expect(runUpgrade(globals, file, {}, { config })).rejects.toMatchObject({
      code: "PRECONDITION",
      message: expect.stringContaining("confirmation"),
    });
    expect(await rootState()).toEqual(before);
    expect(existsSync(join(dir, "root", "shared"))).toBe(false);
  });

  it("installs a release packed as './top/' (one top directory, however it is spelled)", async () => {
    const file = await tarball([
      { name: "./demo/", type: "5" },
      { name: "./demo/zops-release.yml", body: manifest() },
      { name: "./demo/build.json", body: '{"version":"9.0.0"}\n' },
      { name: "./demo/app/", type: "5" },
      { name: "./demo/app/run.js", body: "ok\n", mode: 0o4755 },
    ]);
    const result = await runUpgrade(globals, file, { yes: true }, { config });
    expect(result.outcome).toBeUndefined();
    const current = join(dir, "root", "deployments", "current");
    expect(await readFile(join(current, "build.json"), "utf8")).toContain("9.0.0");
    expect(await readFile(join(current, "app", "run.js"), "utf8")).toBe("ok\n");
    expect(await readlink(current)).toMatch(/^\d{4}-/);
  });
});
