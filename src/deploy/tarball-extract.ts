import { mkdir } from "node:fs/promises";
import * as tar from "tar";
import { ZopsError, errnoOf, localError } from "../errors/index.js";
import { refuseEntry } from "./tarball-entry.js";
import type { TarballSummary } from "./tarball-inspect.js";

/**
 * Unpacks an already inspected release tarball into `dest` (created), dropping its top directory; applies the same
 * entry checks again as a filter, owns files as the current user and strips setuid/setgid bits.
 * @throws PRECONDITION if an entry is refused after all (the tarball changed) or the archive is damaged; DISK_FULL,
 * LOCAL_ACCESS or LOCAL_IO naming `dest` when it cannot be written.
 */
export const extractRelease = async (file: string, dest: string, summary: TarballSummary): Promise<void> => {
  try {
    await unpack(file, dest, summary);
  } catch (error) {
    if (error instanceof ZopsError) throw error;
    if (errnoOf(error)) throw localError(error, `unable to unpack release tarball '${file}' into '${dest}'`, dest);
    // node-tar's own errors (TAR_BAD_ARCHIVE, TAR_ENTRY_INVALID, ...): the archive, not this machine.
    throw new ZopsError(
      "PRECONDITION",
      `release tarball '${file}' could not be unpacked: ${(error as Error).message}`,
      {
        hint: "the tarball is damaged or not a release: download it again and check its checksum",
        cause: error,
        details: { tarCode: (error as { code?: unknown }).code },
      },
    );
  }
};

const unpack = async (file: string, dest: string, summary: TarballSummary): Promise<void> => {
  await mkdir(dest, { recursive: true, mode: 0o755 });
  let refused: string | undefined;
  await tar.x({
    file,
    cwd: dest,
    strip: 1,
    strict: true,
    preserveOwner: false,
    filter: (path, entry) => {
      const readEntry = entry as tar.ReadEntry;
      const why = refuseEntry({ path, type: readEntry.type, linkpath: readEntry.linkpath, size: readEntry.size ?? 0 });
      if (why) refused ??= `entry '${path}' ${why}`;
      if (
        !path.replace(/^\.\//, "").startsWith(`${summary.top}/`) &&
        path.replace(/^\.\//, "").replace(/\/$/, "") !== summary.top
      )
        refused ??= `entry '${path}' is outside '${summary.top}'`;
      if (readEntry.mode !== undefined) readEntry.mode &= 0o1777;
      return why === undefined;
    },
  });
  if (refused)
    throw new ZopsError("PRECONDITION", `release tarball '${file}' changed while being unpacked: ${refused}`, {
      hint: "do not modify the tarball during an upgrade; run the upgrade again",
    });
};
