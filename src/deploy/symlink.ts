import { randomBytes } from "node:crypto";
import { readlink, rename, rm, symlink, lstat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ZopsError } from "../errors/index.js";

/**
 * Points `link` at `target` atomically: symlink to a temp name in the same directory, then rename over (readers see the
 * old or the new target, never nothing). Refuses when `link` is a real directory.
 */
export const switchSymlink = async (link: string, target: string): Promise<void> => {
  const existing = await lstat(link).catch(() => undefined);
  if (existing && !existing.isSymbolicLink()) {
    throw new ZopsError("PRECONDITION", `'${link}' is not a symlink`, {
      hint: "move it aside: zops manages current/last/next as symlinks",
    });
  }
  const temp = join(dirname(link), `.${basename(link)}.${randomBytes(6).toString("hex")}`);
  await symlink(isAbsolute(target) ? relative(dirname(link), target) : target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
};

/** Reads where `link` points, as an absolute path, or undefined when it does not exist. */
export const readSymlink = async (link: string): Promise<string | undefined> => {
  try {
    return resolve(dirname(link), await readlink(link));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
};

/** Sets `link` to `target`, or removes it when `target` is undefined (idempotent). */
export const restoreSymlink = async (link: string, target: string | undefined): Promise<void> => {
  if (target === undefined) await rm(link, { force: true });
  else await switchSymlink(link, target);
};
