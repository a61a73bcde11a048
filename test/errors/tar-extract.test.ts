import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unpackRelease } from "../../src/deploy/release/read-release.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";
import { rawTarball } from "../deploy/raw-tar.js";

// Errors while unpacking a release (zops's own tar reader): a failure of this machine's disk is a typed local
// error naming the destination, a damaged archive a PRECONDITION naming the tarball; neither may end as INTERNAL
// (old code: raw errors).

let dir: string;
let file: string;
const limits = { maxFiles: 10, maxUnpackedBytes: 1 << 20 };
const big = "x".repeat(64 * 1024);

beforeAll(async () => {
  dir = await makeTempDir("tar-extract", { forPostgres: false });
  file = join(dir, "release.tar");
  const tarball = rawTarball([
    { name: "demo/", type: "5" },
    { name: "demo/zops-release.yml", body: "format: 1\nname: demo-app\nversion: 9.0.0\n" },
    { name: "demo/big.js", body: big },
  ]);
  await writeFile(file, tarball);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe("unpacking a release", () => {
  it("reports a destination it cannot write as a typed local error naming it", async () => {
    await writeFile(join(dir, "a-file"), "");
    const dest = join(dir, "a-file", "release");
    await expect(unpackRelease(file, limits, dest)).rejects.toMatchObject({
      code: "LOCAL_IO",
      message: expect.stringContaining(dest),
      details: { errno: "ENOTDIR" },
    });
  });

  it("reports an archive damaged after inspection as PRECONDITION naming the tarball", async () => {
    const damaged = join(dir, "damaged.tar");
    const whole = rawTarball([
      { name: "demo/", type: "5" },
      { name: "demo/zops-release.yml", body: "format: 1\nname: demo-app\nversion: 9.0.0\n" },
      { name: "demo/big.js", body: big },
    ]);
    // A flipped byte in the third header (after the directory and the manifest with its one body block).
    const flipped = gunzipSync(whole);
    flipped[3 * 512 + 5] = (flipped[3 * 512 + 5] ?? 0) ^ 0x20;
    await writeFile(damaged, flipped);
    await expect(unpackRelease(damaged, limits, join(dir, "out"))).rejects.toMatchObject({
      code: "PRECONDITION",
      message: expect.stringContaining(damaged),
    });
  });
});
