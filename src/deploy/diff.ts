import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../exec/run.js";

/** One side of a diff: its label and its text (undefined: the file does not exist). */
export interface DiffSide {
  readonly label: string;
  readonly text: string | undefined;
}

const withFiles = async <T>(sides: readonly DiffSide[], fn: (paths: string[]) => Promise<T>): Promise<T> => {
  const dir = await mkdtemp(join(tmpdir(), "zops-diff-"));
  try {
    const paths = await Promise.all(
      sides.map(async (side, index) => {
        const path = join(dir, String(index));
        await writeFile(path, side.text ?? "");
        return path;
      }),
    );
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * A 3-way view (`diff3 -m`: the file merged with conflict markers, local | base | upstream) showing both the local edit
 * and the upstream change; temp files only.
 */
export const threeWayDiff = (local: DiffSide, base: DiffSide, upstream: DiffSide): Promise<string> =>
  withFiles([local, base, upstream], async ([a = "", b = "", c = ""]) => {
    const result = await run("diff3", ["-m", "-L", local.label, "-L", base.label, "-L", upstream.label, a, b, c], {
      reject: false,
    });
    return result.exitCode === 2 ? `diff3 failed: ${result.stderr}` : result.stdout;
  });

/** A unified diff from `from` to `to` (`diff -u`); empty when equal; temp files only. */
export const unifiedDiff = (from: DiffSide, to: DiffSide): Promise<string> =>
  withFiles([from, to], async ([a = "", b = ""]) => {
    const result = await run("diff", ["-u", "--label", from.label, "--label", to.label, a, b], { reject: false });
    return result.exitCode === 2 ? `diff failed: ${result.stderr}` : result.stdout;
  });
