// CI rule: no line over 120 characters in the project's own sources (the formatter cannot break comments,
// strings and regular expressions). Prints each offending line as FILE:LINE and exits 1 when there is one.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const LIMIT = 120;
const ROOTS = ["src", "tasks", "test", "bench", "scripts", "templates"];
const EXTENSIONS = /\.(ts|mts|mjs|js|json|yml|yaml|sh|service|timer|conf|md)$/;
const SKIP = /(^|\/)(node_modules|dist|fixtures)(\/|$)/;

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.test(path)) return [];
    return statSync(path).isDirectory() ? walk(path) : EXTENSIONS.test(name) ? [path] : [];
  });

const offenders = ROOTS.flatMap((root) => walk(root)).flatMap((file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line, index) => (line.length > LIMIT ? [`${file}:${index + 1}: ${line.length} characters`] : [])),
);
for (const offender of offenders) console.log(offender);
if (offenders.length > 0) {
  console.log(`${offenders.length} line(s) over ${LIMIT} characters: wrap them (npx biome format --write . for code)`);
  process.exit(1);
}
