import { randomBytes } from "node:crypto";
import { mkdir, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mapBounded } from "../../src/flow/bounded.js";

/** A generated uploads tree: relative file paths and their contents. */
export interface TestTree {
  readonly root: string;
  readonly files: Map<string, Buffer>;
}

/**
 * Writes `count` small random files (200-4,000 bytes) in 100 subdirectories, one duplicate, one empty file, one large
 * file of `largeBytes`, a symlink out of the tree and a relative one; mtimes one hour in the past.
 */
export const writeTree = async (root: string, count: number, largeBytes = 0): Promise<TestTree> => {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1)
    files.set(`d${String(i % 100).padStart(3, "0")}/f${i}.bin`, randomBytes(200 + ((i * 7919) % 3800)));
  files.set("dup/copy.bin", files.get("d000/f0.bin") as Buffer);
  files.set("empty.txt", Buffer.alloc(0));
  if (largeBytes > 0)
    files.set("large/video.bin", Buffer.concat([randomBytes(largeBytes / 2), Buffer.alloc(largeBytes / 2, 7)]));
  const dirs = new Set([...files.keys()].map((path) => path.split("/").slice(0, -1).join("/")).filter(Boolean));
  for (const dir of dirs) await mkdir(join(root, dir), { recursive: true });
  await mapBounded([...files], 64, ([path, content]) =>
    writeFile(join(root, path), content, { mode: path.endsWith(".txt") ? 0o600 : 0o644 }),
  );
  await symlink("/etc/passwd", join(root, "outside-link"));
  await symlink("d000/f0.bin", join(root, "inside-link"));
  const hourAgo = Date.now() / 1000 - 3600;
  await mapBounded([...files.keys(), ...dirs], 64, (path) => utimes(join(root, path), hourAgo, hourAgo));
  await utimes(root, hourAgo, hourAgo);
  return { root, files };
};
