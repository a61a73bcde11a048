import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installPortableSelf, type PortableSelf } from "../../scripts/lib/portable-self.js";
import { preparePgBinDir, testMajor } from "./pg-majors.js";

let installed: PortableSelf | undefined;

/**
 * Builds the bundled CLI once before the suite: integration tests run it as a real process (PostgreSQL's
 * archive_command and restore_command call it as the postgres OS user). When running as root the checkout may sit where
 * that user cannot read (a CI clone under /root), so a portable copy is installed and ZOPS_SELF points there
 * (src/exec/self-command.ts). The commands' validated-config cache (src/config/cache.ts) goes to a directory of this
 * run, not the user's home. With ZOPS_TEST_PG_MAJOR (the CI matrix), clusters run on that PostgreSQL major
 * (test/support/pg-majors.ts): ZOPS_TEST_PG_BINDIR points at its binaries.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await execa("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
  if (process.getuid?.() === 0 && !process.env.ZOPS_SELF) installed = await installPortableSelf(process.cwd());
  if (process.env.ZOPS_TEST_PG_MAJOR && !process.env.ZOPS_TEST_PG_BINDIR)
    process.env.ZOPS_TEST_PG_BINDIR = await preparePgBinDir(process.cwd(), testMajor());
  const cache = await mkdtemp(join(tmpdir(), "zops-test-cache-"));
  process.env.XDG_CACHE_HOME = cache;
  return async () => {
    await installed?.remove();
    await rm(cache, { recursive: true, force: true });
  };
}
