// Storage throughput: put and get of the file and s3 drivers (through openStorage, as zops uses them)
// for 1 GiB in 16 MiB objects and for 10,000 small objects, each next to a cp/cat baseline on the
// same data and machine (cp then sync -f for puts, cat through a pipe for gets). S3 is s3rver on loopback
// (slow by nature: its ratio measures s3rver as much as zops).
// Run: npx tsx bench/storage.ts [--large-mib 1024] [--small-count 10000] [--small-kib 4] [--skip-s3]
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { openStorage } from "../src/storage/open.js";
import type { Storage } from "../src/storage/storage.js";
import { formatTable } from "../src/ui/output.js";
import { startS3Server } from "../test/support/s3.js";

const MIB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    "large-mib": { type: "string", default: "1024" },
    "small-count": { type: "string", default: "10000" },
    "small-kib": { type: "string", default: "4" },
    "skip-s3": { type: "boolean", default: false },
  },
});
const largeObjects = Math.max(1, Math.round(Number(values["large-mib"]) / 16));
const smallCount = Number(values["small-count"]);
const smallBytes = Number(values["small-kib"]) * 1024;
const settings = { timeoutSeconds: 120, retries: 2, retryDelayMs: 200 };

interface DataSet {
  readonly name: string;
  readonly dir: string;
  readonly files: string[];
  readonly bytes: number;
  /** Objects put or read at once by the driver runs (the cp/cat baselines are one process). */
  readonly concurrency: number;
}

const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
};

// Writes the source files once: distinct content per file (a stamped random block).
const makeDataSet = async (
  root: string,
  name: string,
  count: number,
  size: number,
  concurrency: number,
): Promise<DataSet> => {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const block = randomBytes(size);
  const files: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const file = join(dir, String(index).padStart(6, "0"));
    block.writeUInt32LE(index, 0);
    await writeFile(file, block);
    files.push(file);
  }
  return { name, dir, files, bytes: count * size, concurrency };
};

// Runs `work` for each item with at most `limit` at once.
const eachLimited = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
};

const drain = async (stream: NodeJS.ReadableStream): Promise<void> => {
  for await (const _chunk of stream) {
    // discard
  }
};

const baseline = async (data: DataSet, scratch: string): Promise<{ put: number; get: number }> => {
  const target = join(scratch, `cp-${data.name}`);
  await rm(target, { recursive: true, force: true });
  const put = await seconds(async () => {
    await execa("cp", ["-r", data.dir, target]);
    await execa("sync", ["-f", target]);
  });
  const names = await readdir(target);
  // cat's output goes through a pipe into this process (as zops' reads do): cat > /dev/null lets
  // coreutils skip the copy altogether and measures nothing.
  const get = await seconds(async () => {
    for (let index = 0; index < names.length; index += 500) {
      const cat = execa("cat", names.slice(index, index + 500), { cwd: target, buffer: false });
      cat.stdout?.resume();
      await cat;
    }
  });
  await rm(target, { recursive: true, force: true });
  return { put, get };
};

const measureDriver = async (storage: Storage, data: DataSet): Promise<{ put: number; get: number }> => {
  const keyOf = (file: string) => `${data.name}/${file.slice(data.dir.length + 1)}`;
  const put = await seconds(() =>
    eachLimited(data.files, data.concurrency, (file) => storage.put(keyOf(file), createReadStream(file))),
  );
  const get = await seconds(() =>
    eachLimited(data.files, data.concurrency, async (file) => drain(await storage.get(keyOf(file)))),
  );
  await storage.delete(data.files.map(keyOf));
  return { put, get };
};

const rate = (data: DataSet, secs: number): string =>
  `${(data.bytes / MIB / secs).toFixed(1)} MiB/s, ${Math.round(data.files.length / secs)} obj/s`;

const main = async () => {
  const scratch = await mkdtemp(join(tmpdir(), "zops-bench-storage-"));
  const s3 = values["skip-s3"] ? undefined : await startS3Server();
  try {
    const sets = [
      await makeDataSet(scratch, "large", largeObjects, 16 * MIB, 1),
      await makeDataSet(scratch, "small", smallCount, smallBytes, 8),
    ];
    const rows: string[][] = [["data", "operation", "driver", "time", "throughput", "ratio to baseline (time)"]];
    for (const data of sets) {
      const label = `${data.files.length} x ${(data.bytes / data.files.length / 1024).toFixed(0)} KiB`;
      const base = await baseline(data, scratch);
      const drivers: [string, () => Promise<Storage>][] = [
        [
          "file",
          async () =>
            openStorage({
              repository: {
                url: pathToFileURL(join(scratch, "repo")).href,
                s3: { region: "us-east-1", forcePathStyle: false },
              },
              storage: settings,
            }),
        ],
      ];
      if (s3)
        drivers.push([
          "s3 (s3rver)",
          async () => openStorage({ repository: s3.withPrefix("bench").repositoryConfig, storage: settings }),
        ]);
      const results = [];
      for (const [name, open] of drivers) {
        const storage = await open();
        results.push({ name, ...(await measureDriver(storage, data)) });
        await storage.close?.();
      }
      for (const operation of ["put", "get"] as const) {
        rows.push([
          label,
          operation,
          operation === "put" ? "cp + sync (baseline)" : "cat (baseline)",
          `${base[operation].toFixed(2)} s`,
          rate(data, base[operation]),
          "1.00",
        ]);
        for (const result of results) {
          rows.push([
            label,
            operation,
            `${result.name}${data.concurrency > 1 ? ` x${data.concurrency}` : ""}`,
            `${result[operation].toFixed(2)} s`,
            rate(data, result[operation]),
            (result[operation] / base[operation]).toFixed(2),
          ]);
        }
      }
      process.stdout.write(`${formatTable(rows)}\n\n`);
      rows.splice(1);
    }
  } finally {
    await s3?.destroy();
    await rm(scratch, { recursive: true, force: true });
  }
};

await main();
