import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { writeGzipBomb } from "./gzip-bomb.js";

// Issue 12: a 5 GiB-of-zeros gzip bomb under a 50 MiB limit took 4.2 GiB of memory and was refused without naming the
// entry. Inspected in a child process that reports its peak RSS before and after (getrusage's high-water mark).

const PROBE = `
import { inspectRelease } from "./src/deploy/release/read-release.ts";
const before = process.resourceUsage().maxRSS;
let message = "accepted";
try {
  await inspectRelease(process.argv[1], { maxUnpackedBytes: 50 * 1024 * 1024, maxFiles: 10000 });
} catch (error) {
  message = \`\${error.code}: \${error.message}\`;
}
const after = process.resourceUsage().maxRSS;
console.log(JSON.stringify({ beforeKiB: before, afterKiB: after, message }));
`;

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir("bomb", { forPostgres: false });
});
afterAll(() => removeTempDir(dir));

describe("a gzip bomb", () => {
  it("of 5 GiB of zeros under a 50 MiB limit is refused naming the entry, in at most 64 MiB more memory", async () => {
    const bomb = join(dir, "bomb.tar.gz");
    await writeGzipBomb(bomb, 5 * 1024 * 1024 * 1024);
    const child = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", PROBE, bomb], {
      cwd: join(import.meta.dirname, "..", ".."),
    });
    const report = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as {
      beforeKiB: number;
      afterKiB: number;
      message: string;
    };
    expect(report.message).toMatch(/^PRECONDITION: .*entry 'top\/zeros\.bin'.*limit of 52428800 bytes/);
    expect((report.afterKiB - report.beforeKiB) / 1024).toBeLessThanOrEqual(64);
  });
});
