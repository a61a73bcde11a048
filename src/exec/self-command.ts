import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The argv prefix that runs this zops again (for archive_command and restore_command): $ZOPS_SELF split on spaces when
 * set (the installed command /usr/local/bin/zops sets it to itself: scripts/release/install.sh), else
 * `node <package>/dist/bin/zops.js`. Never a shell string.
 */
export const zopsCommand = (): string[] => {
  const override = process.env.ZOPS_SELF?.trim();
  if (override) return override.split(/\s+/);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const bin = join(dir, "dist", "bin", "zops.js");
    if (existsSync(join(dir, "package.json")) && existsSync(bin)) return [process.execPath, bin];
    if (existsSync(join(dir, "zops.js")) && existsSync(join(dir, "chunks")))
      return [process.execPath, join(dir, "zops.js")];
    dir = resolve(dir, "..");
  }
  return ["zops"];
};

/** Quotes argv for a PostgreSQL setting that runs through `sh -c` (archive_command, restore_command). */
export const shellQuote = (args: readonly string[]): string =>
  args.map((arg) => (/^[A-Za-z0-9_\/.%:=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(" ");
