import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Of } from "../../src/crypto/hash.js";
import type { PieceJobs } from "../../src/backup/piece-jobs.js";
import { locateWorkerEntry } from "../../src/workers/locate.js";
import { WorkerPool } from "../../src/workers/pool.js";
import { makeTempDir } from "../support/temp.js";

// The pool must run from TypeScript sources (vitest, tsx) and from the esbuild bundle
// (dist/bin/zops-worker.js found from a code-split chunk).

const pools: WorkerPool<PieceJobs>[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

const roundTrip = async (pool: WorkerPool<PieceJobs>) => {
  const dir = await makeTempDir("pool", { forPostgres: false });
  const small = randomBytes(1000);
  const large = Buffer.concat([randomBytes(70_000), Buffer.alloc(200_000, 7)]);
  await writeFile(join(dir, "small"), small);
  await writeFile(join(dir, "large"), large);
  const packed = await pool.run({
    kind: "pack",
    level: 3,
    pieces: [
      { absolute: join(dir, "small"), offset: 0, length: small.length },
      { absolute: join(dir, "large"), offset: 100_000, length: 170_000 },
      { absolute: join(dir, "gone"), offset: 0, length: 10 },
    ],
  });
  expect(packed.pieces.map((piece) => [piece.size, piece.vanished])).toEqual([
    [1000, false],
    [170_000, false],
    [0, true],
  ]);
  expect(packed.pieces[0]?.sha256).toBe(sha256Of(small));
  expect(packed.pieces[1]?.sha256).toBe(sha256Of(large.subarray(100_000)));
  expect(packed.sha256).toBe(sha256Of(packed.data));
  expect(packed.data.length).toBeLessThan(small.length + 170_000);

  await mkdir(join(dir, "out"));
  await writeFile(join(dir, "out", "large"), Buffer.alloc(270_000));
  const [first, second] = packed.pieces;
  if (!first || !second) throw new Error("missing pieces");
  const data = Buffer.from(packed.data);
  const problems = await pool.run({
    kind: "unpack",
    data,
    key: "k",
    objectSha256: packed.sha256,
    pieces: [
      {
        path: "small",
        absolute: join(dir, "out", "small"),
        fileOffset: 0,
        frameOffset: first.frameOffset,
        frameLength: first.frameLength,
        size: first.size,
        sha256: first.sha256,
        whole: { mode: 0o640, mtimeMs: 1_700_000_000_000 },
      },
      {
        path: "large",
        absolute: join(dir, "out", "large"),
        fileOffset: 100_000,
        frameOffset: second.frameOffset,
        frameLength: second.frameLength,
        size: second.size,
        sha256: second.sha256,
      },
    ],
  });
  expect(problems).toEqual([]);
  expect(await readFile(join(dir, "out", "small"))).toEqual(small);
  expect((await readFile(join(dir, "out", "large"))).subarray(100_000)).toEqual(large.subarray(100_000));

  const damaged = Buffer.from(packed.data);
  damaged[second.frameOffset + 20] = (damaged[second.frameOffset + 20] ?? 0) ^ 0xff;
  const found = await pool.run({
    kind: "unpack",
    data: damaged,
    key: "obj",
    objectSha256: packed.sha256,
    pieces: [
      {
        path: "base/1/1234",
        fileOffset: 0,
        frameOffset: second.frameOffset,
        frameLength: second.frameLength,
        size: second.size,
        sha256: second.sha256,
      },
    ],
  });
  expect(found[0]?.message).toMatch(/object 'obj' checksum mismatch .* it holds 'base\/1\/1234'/);
  const pieceOnly = await pool.run({
    kind: "unpack",
    data: Buffer.from(damaged),
    key: "obj",
    pieces: [
      {
        path: "base/1/1234",
        fileOffset: 0,
        frameOffset: second.frameOffset,
        frameLength: second.frameLength,
        size: second.size,
        sha256: second.sha256,
      },
    ],
  });
  expect(pieceOnly[0]?.message).toMatch(/file 'base\/1\/1234'/);

  expect(
    await pool.run({
      kind: "match",
      pieces: [{ absolute: join(dir, "small"), offset: 0, length: 1000, sha256: sha256Of(small) }],
    }),
  ).toBe(true);
  expect(
    await pool.run({
      kind: "match",
      pieces: [{ absolute: join(dir, "small"), offset: 0, length: 1000, sha256: sha256Of("other") }],
    }),
  ).toBe(false);
};

describe("worker pool", () => {
  it("runs pack, unpack and match jobs from the TypeScript sources", async () => {
    expect(locateWorkerEntry().kind).toBe("eval");
    const pool = new WorkerPool<PieceJobs>(2);
    pools.push(pool);
    await roundTrip(pool);
  });

  it("finds and runs the bundled worker beside dist/bin/zops.js from a code-split chunk", async () => {
    const bin = resolve("dist/bin");
    expect(existsSync(join(bin, "zops-worker.js"))).toBe(true);
    const entry = locateWorkerEntry(pathToFileURL(join(bin, "chunks", "some-chunk.js")).href);
    expect(entry).toEqual({ kind: "file", url: pathToFileURL(join(bin, "zops-worker.js")) });
    const pool = new WorkerPool<PieceJobs>(1, entry);
    pools.push(pool);
    await roundTrip(pool);
  });

  it("names the missing worker script", () => {
    expect(() => locateWorkerEntry("file:///nowhere/chunks/x.js")).toThrow(
      /zops-worker.js\) was not found near \/nowhere\/chunks/,
    );
  });
});
