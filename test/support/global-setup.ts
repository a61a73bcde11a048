import { execa } from "execa";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

let installed: string | undefined;

// Builds the bundled CLI once before the suite: integration tests run it as a real process
// (PostgreSQL's archive_command and restore_command call it as the postgres OS user). When running
// as root, the checkout may sit where the postgres user cannot read it (a CI clone under /root), so
// the bundle and its one native dependency are copied to a world-readable temp directory and
// ZOPS_SELF points there (src/exec/self-command.ts).
export default async function setup(): Promise<() => Promise<void>> {
  await execa("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
  if (process.getuid?.() === 0 && !process.env.ZOPS_SELF) {
    installed = await mkdtemp(join(tmpdir(), "zops-self-"));
    await cp("dist", join(installed, "dist"), { recursive: true });
    await mkdir(join(installed, "node_modules"), { recursive: true });
    await cp("node_modules/zstd-napi", join(installed, "node_modules", "zstd-napi"), { recursive: true });
    await cp("package.json", join(installed, "package.json"));
    await execa("chmod", ["-R", "a+rX", installed]);
    process.env.ZOPS_SELF = `${process.execPath} ${join(installed, "dist", "bin", "zops.js")}`;
  }
  return async () => {
    if (installed) await rm(installed, { recursive: true, force: true });
  };
}
