import { execa } from "execa";
import { installPortableSelf, type PortableSelf } from "../../scripts/lib/portable-self.js";

let installed: PortableSelf | undefined;

// Builds the bundled CLI once before the suite: integration tests run it as a real process (PostgreSQL's
// archive_command and restore_command call it as the postgres OS user). When running as root the checkout may
// sit where that user cannot read (a CI clone under /root), so a portable copy is installed and ZOPS_SELF
// points there (src/exec/self-command.ts).
export default async function setup(): Promise<() => Promise<void>> {
  await execa("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
  if (process.getuid?.() === 0 && !process.env.ZOPS_SELF) installed = await installPortableSelf(process.cwd());
  return async () => {
    await installed?.remove();
  };
}
