import { execa } from "execa";

// Builds the bundled CLI once before the suite: integration tests run `dist/bin/zops.js` as a real process
// (PostgreSQL's archive_command and restore_command call it).
export default async function setup(): Promise<void> {
  await execa("node", ["scripts/bundle.mjs"], { stdio: "inherit" });
}
