import { execa } from "execa";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A copy of the bundled CLI that any OS user can run. */
export interface PortableSelf {
  /** argv prefix to run it (`node <dir>/dist/bin/zops.js`), also exported as ZOPS_SELF. */
  readonly command: string[];
  remove(): Promise<void>;
}

/**
 * Copies dist/ and the one native dependency (zstd-napi) to a world-readable temp directory and sets ZOPS_SELF, so
 * PostgreSQL's archive_command and restore_command (run as the postgres OS user) can start zops even when the checkout
 * sits where that user cannot read (a clone under /root). `checkout` must hold a built dist/.
 */
export const installPortableSelf = async (checkout: string): Promise<PortableSelf> => {
  const dir = await mkdtemp(join(tmpdir(), "zops-self-"));
  await cp(join(checkout, "dist"), join(dir, "dist"), { recursive: true });
  await mkdir(join(dir, "node_modules"), { recursive: true });
  await cp(join(checkout, "node_modules", "zstd-napi"), join(dir, "node_modules", "zstd-napi"), { recursive: true });
  await cp(join(checkout, "package.json"), join(dir, "package.json"));
  await execa("chmod", ["-R", "a+rX", dir]);
  const command = [process.execPath, join(dir, "dist", "bin", "zops.js")];
  process.env.ZOPS_SELF = command.join(" ");
  return { command, remove: () => rm(dir, { recursive: true, force: true }) };
};
