import { execa } from "execa";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePng, inkOf } from "../support/png.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

// `npm run demo` as a newcomer runs it, but with a fresh HOME and TMPDIR and its output not on a terminal: it must
// pass, leave both empty (no config cache in ~/.cache, nothing beside its own directory), print no escape code,
// say where a path it names is removed, use one repository (no "no complete backup" warning from the upgrade), and
// end with the three commands that set zops up for real. `--screenshot` renders the report page.
describe("npm run demo", () => {
  let home: string;
  let temp: string;
  let shots: string;
  let result: Awaited<ReturnType<typeof execa>>;

  beforeAll(async () => {
    home = await makeTempDir("demo-home", { forPostgres: false });
    temp = await makeTempDir("demo-tmp", { forPostgres: false });
    shots = await makeTempDir("demo-shot", { forPostgres: false });
    // Exactly what `npm run demo` runs, through sh as npm runs it (npm itself is left out: it keeps logs in ~/.npm).
    const scripts = JSON.parse(await readFile("package.json", "utf8")).scripts as { demo: string };
    result = await execa("sh", ["-c", `${scripts.demo} --screenshot ${join(shots, "r.png")}`], {
      env: {
        PATH: `${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`,
        HOME: home,
        TMPDIR: temp,
        LANG: "C",
      },
      extendEnv: false,
      reject: false,
      all: true,
    });
  }, 300_000);

  afterAll(async () => {
    for (const dir of [home, temp, shots]) if (dir) await removeTempDir(dir);
  });

  it("runs through, touching nothing outside its directory and writing no escape code", async () => {
    const output = String(result.all);
    expect(result.exitCode, output.slice(-3000)).toBe(0);
    expect(await readdir(home)).toEqual([]);
    expect(await readdir(temp)).toEqual([]);
    expect(output).not.toContain("\x1b");
    expect(output).not.toMatch(/no complete backup/i);
    for (const line of output.split("\n").filter((text) => /^log: \//.test(text)))
      expect(line).toContain("removed with the demo directory");
    expect(output).toMatch(/^upgrades: 2 in /m);
  });

  it("ends with the three commands that set zops up for real, and renders the report page", async () => {
    const lines = String(result.stdout).trimEnd().split("\n");
    expect(lines.at(-4)).toMatch(/^Set zops up for real/);
    expect(lines.at(-3)).toMatch(
      /^ {2}npm run release && tar xzf release\/zops-\S+\.tgz && sudo sh package\/install\.sh$/,
    );
    expect(lines.at(-2)).toMatch(
      /^ {2}sudo install .*templates\/zops\.yml \/etc\/zops\/zops\.yml && sudo zops repo init$/,
    );
    expect(lines.at(-1)).toMatch(/^ {2}sudo cp .*templates\/postgresql\.conf .*conf\.d\/zops\.conf && .*cron\.d/);
    const ink = inkOf(decodePng(await readFile(join(shots, "r.png"))));
    expect(ink.colors).toBeGreaterThan(50);
  });
});
