import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stageRuntime } from "../release/stage-runtime.mjs";

/** A copy of the bundled CLI that any OS user can run. */
export interface PortableSelf {
  /** argv prefix to run it (`node <dir>/dist/bin/zops.js`), also exported as ZOPS_SELF. */
  readonly command: string[];
  remove(): Promise<void>;
}

/**
 * Copies the release runtime (the bundle and the zstd binding, as `npm run release` ships them:
 * scripts/release/stage-runtime.mjs) to a world-readable temp directory and sets ZOPS_SELF, so PostgreSQL's
 * archive_command and restore_command (run as the postgres OS user) can start zops even when the checkout sits where
 * that user cannot read (a clone under /root). `checkout` must hold a built dist/; the copy goes under `parent` (the
 * system temp directory by default).
 */
export const installPortableSelf = async (checkout: string, parent = tmpdir()): Promise<PortableSelf> => {
  const dir = await mkdtemp(join(parent, "zops-self-"));
  await stageRuntime(checkout, dir);
  await execa("chmod", ["-R", "a+rX", dir]);
  const command = [process.execPath, join(dir, "dist", "bin", "zops.js")];
  process.env.ZOPS_SELF = command.join(" ");
  return { command, remove: () => rm(dir, { recursive: true, force: true }) };
};
