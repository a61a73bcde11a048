import { lstat, mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";

const refuse = (path: string, why: string) =>
  new ZopsError("PRECONDITION", `shared directory path '${path}' ${why}; zops never follows links there`, {
    hint: "make it a plain directory (or remove it), then run the upgrade again",
  });

/**
 * Why the deploy root side of shared directory `dir` cannot be used (a component below `sharedRoot` is a symlink or a
 * file), or undefined. Read only.
 */
export const refuseSharedTarget = async (sharedRoot: string, dir: string): Promise<string | undefined> => {
  let path = sharedRoot;
  for (const part of dir.split("/").filter(Boolean)) {
    path = join(path, part);
    const info = await lstat(path).catch(() => undefined);
    if (!info) return undefined;
    if (info.isSymbolicLink()) return `shared directory path '${path}' is a symlink; zops never follows links there`;
    if (!info.isDirectory()) return `shared directory path '${path}' is not a directory`;
  }
  return undefined;
};

// Creates `dir` under `base` one component at a time, refusing any component that exists as a link or a file.
const makeDirectories = async (base: string, dir: string, keepLast: boolean): Promise<string> => {
  const parts = dir.split("/").filter(Boolean);
  let path = base;
  for (const [index, part] of parts.entries()) {
    path = join(path, part);
    if (keepLast && index === parts.length - 1) break;
    const info = await lstat(path).catch(() => undefined);
    if (info?.isSymbolicLink()) throw refuse(path, "is a symlink");
    if (info && !info.isDirectory()) throw refuse(path, "is not a directory");
    if (!info) await mkdir(path, { mode: 0o755 });
  }
  return path;
};

/**
 * Links `<deployment>/<dir>` to `<sharedRoot>/<dir>` (created), replacing what the release shipped there, without
 * following a symlink at any component on either side. Idempotent.
 * @throws PRECONDITION naming the component that is a link or a file
 */
export const linkSharedDirectory = async (deployment: string, sharedRoot: string, dir: string): Promise<void> => {
  await mkdir(sharedRoot, { recursive: true, mode: 0o755 });
  const target = await makeDirectories(sharedRoot, dir, false);
  const link = await makeDirectories(deployment, dir, true);
  // Every parent of `link` is a real directory (checked above): removing it cannot reach outside the deployment.
  await rm(link, { recursive: true, force: true });
  await symlink(target, link);
};
