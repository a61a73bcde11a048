// Uploads snapshot benchmark: 50,000 small files, first snapshot and a second one after
// changing 1% of them, against `tar | zstd` (full) and GNU tar --listed-incremental | zstd of
// the same tree in the same run, plus a full restore against `zstd -dc | tar -x`.
// Run: npx tsx bench/uploads.ts [--files N] [--keep]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStorage } from "../src/storage/file.js";
import { formatBytes } from "../src/ui/output.js";
import { mapBounded } from "../src/flow/bounded.js";
import { restoreUploads } from "../src/uploads/restore.js";
import { createUploadsSnapshot, type SnapshotOptions } from "../src/uploads/snapshot.js";
import { countingStorage } from "../test/support/counting-storage.js";

const arg = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const FILES = Number(arg("--files") ?? 50_000);
const WORDS = ["stream", "message", "topic", "avatar", "upload", "realm", "emoji", "thumbnail", "zulip", "user"];

// A small file: half are random (like images), half are text-like and compressible; 200 B - 16 KiB.
const contentFor = (index: number): Buffer => {
  const size = 200 + ((index * 2654435761) % 16_184);
  if (index % 2 === 0) return randomBytes(size);
  const words: string[] = [];
  let length = 0;
  while (length < size) {
    const suffix = words.length % 13 === 0 ? randomBytes(3).toString("hex") : "";
    const word = `${WORDS[(index + words.length * 7) % WORDS.length]}${suffix}`;
    words.push(word);
    length += word.length + 1;
  }
  return Buffer.from(words.join(" ").slice(0, size));
};

const time = async <T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
};

// Runs `first | second > output` (argv arrays, no shell); resolves when both exit 0.
const pipe = (first: string[], second: string[], output?: string, cwd?: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const a = spawn(first[0] as string, first.slice(1), { cwd, stdio: ["ignore", "pipe", "inherit"] });
    const b = spawn(second[0] as string, second.slice(1), {
      cwd,
      stdio: ["pipe", output ? "pipe" : "ignore", "inherit"],
    });
    if (a.stdout && b.stdin) a.stdout.pipe(b.stdin);
    if (output) b.stdout?.pipe(createWriteStream(output));
    let pending = 2;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else if (--pending === 0) setTimeout(resolve, 50);
    };
    a.on("exit", done(first[0] as string));
    b.on("exit", done(second[0] as string));
  });

const main = async () => {
  const work = await mkdtemp(join(tmpdir(), "zops-bench-uploads-"));
  const root = join(work, "uploads");
  try {
    console.log(`writing ${FILES} files under ${root} ...`);
    const files = Array.from({ length: FILES }, (_, index) => `d${String(index % 500).padStart(3, "0")}/f${index}.bin`);
    for (let dir = 0; dir < Math.min(500, FILES); dir += 1)
      await mkdir(join(root, `d${String(dir).padStart(3, "0")}`), { recursive: true });
    const past = Date.now() / 1000 - 86_400;
    let contentBytes = 0;
    await mapBounded(files, 32, async (path, index) => {
      const content = contentFor(index);
      contentBytes += content.length;
      await writeFile(join(root, path), content);
      await utimes(join(root, path), past, past);
    });
    console.log(`tree: ${FILES} files, ${formatBytes(contentBytes)}`);

    const options: SnapshotOptions = {
      paths: [root],
      packSizeBytes: 16 << 20,
      largeFileBytes: 8 << 20,
      compressLevel: 3,
      concurrency: 4,
    };
    const repo = countingStorage(new FileStorage(join(work, "repo")));
    const sum = () => [...repo.written.values()].reduce((total, size) => total + size, 0);

    const tarFull1 = await time(() =>
      pipe(["tar", "-cf", "-", "-C", work, "uploads"], ["zstd", "-3", "-q", "-c"], join(work, "full1.tar.zst")),
    );
    const tarIncr1 = await time(() =>
      pipe(
        ["tar", "--listed-incremental", join(work, "snar"), "-cf", "-", "-C", work, "uploads"],
        ["zstd", "-3", "-q", "-c"],
        join(work, "incr1.tar.zst"),
      ),
    );
    const zops1 = await time(() => createUploadsSnapshot(repo, options));
    const zops1Bytes = sum();

    const changed = files.filter((_, index) => index % 100 === 37);
    let changedBytes = 0;
    await mapBounded(changed, 32, async (path) => {
      const content = randomBytes(200 + ((path.length * 977) % 16_184));
      changedBytes += content.length;
      await writeFile(join(root, path), content);
    });
    repo.reset();
    const tarFull2 = await time(() =>
      pipe(["tar", "-cf", "-", "-C", work, "uploads"], ["zstd", "-3", "-q", "-c"], join(work, "full2.tar.zst")),
    );
    const tarIncr2 = await time(() =>
      pipe(
        ["tar", "--listed-incremental", join(work, "snar"), "-cf", "-", "-C", work, "uploads"],
        ["zstd", "-3", "-q", "-c"],
        join(work, "incr2.tar.zst"),
      ),
    );
    const zops2 = await time(() => createUploadsSnapshot(repo, options));
    const zops2Bytes = sum();

    await mkdir(join(work, "untar"));
    const untar = await time(() =>
      pipe(["zstd", "-dc", "-q", join(work, "full2.tar.zst")], ["tar", "-xf", "-", "-C", join(work, "untar")]),
    );
    const restore = await time(() => restoreUploads(repo, "latest", join(work, "restored")));

    const size = async (name: string) => (await stat(join(work, name))).size;
    const rows = [
      ["step", "zops", "tar | zstd -3", "ratio (zops / tar)"],
      [
        "first snapshot time",
        `${(zops1.ms / 1000).toFixed(2)} s`,
        `${(tarFull1.ms / 1000).toFixed(2)} s`,
        (zops1.ms / tarFull1.ms).toFixed(2),
      ],
      [
        "first snapshot bytes",
        formatBytes(zops1Bytes),
        formatBytes(await size("full1.tar.zst")),
        (zops1Bytes / (await size("full1.tar.zst"))).toFixed(3),
      ],
      [
        "second (1% changed) time vs full tar",
        `${(zops2.ms / 1000).toFixed(2)} s`,
        `${(tarFull2.ms / 1000).toFixed(2)} s`,
        (zops2.ms / tarFull2.ms).toFixed(2),
      ],
      [
        "second bytes vs full tar",
        formatBytes(zops2Bytes),
        formatBytes(await size("full2.tar.zst")),
        (zops2Bytes / (await size("full2.tar.zst"))).toFixed(3),
      ],
      [
        "second time vs tar --listed-incremental",
        `${(zops2.ms / 1000).toFixed(2)} s`,
        `${(tarIncr2.ms / 1000).toFixed(2)} s`,
        (zops2.ms / tarIncr2.ms).toFixed(2),
      ],
      [
        "second bytes vs tar --listed-incremental",
        formatBytes(zops2Bytes),
        formatBytes(await size("incr2.tar.zst")),
        (zops2Bytes / (await size("incr2.tar.zst"))).toFixed(3),
      ],
      [
        "full restore time",
        `${(restore.ms / 1000).toFixed(2)} s`,
        `${(untar.ms / 1000).toFixed(2)} s`,
        (restore.ms / untar.ms).toFixed(2),
      ],
    ];
    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
    console.log(
      `\n${FILES} files, ${formatBytes(contentBytes)}; ` +
        `${changed.length} files (${formatBytes(changedBytes)}) changed ` +
        `before the second run; file repository on local disk; tar ` +
        `incremental level-0 took ${(tarIncr1.ms / 1000).toFixed(2)} s\n`,
    );
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  "));
    console.log(
      `\nzops second snapshot: ${zops2.value.stats.newFiles} new ` +
        `files, read ${formatBytes(zops2.value.bytesRead)}, wrote ` +
        `${formatBytes(zops2Bytes)} ` +
        `(${formatBytes(repo.writtenUnder("uploads/snapshots/"))} of it ` +
        `the manifest)`,
    );
  } finally {
    if (!process.argv.includes("--keep")) await rm(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
};

await main();
