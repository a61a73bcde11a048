import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ZopsError } from "../errors/index.js";

/**
 * How to start a worker thread: the bundled script, or (from TypeScript sources) a bootstrap that loads the worker
 * entry through tsx.
 */
export type WorkerEntry =
  | { readonly kind: "file"; readonly url: URL }
  | { readonly kind: "eval"; readonly code: string };

/**
 * Finds the one worker entry (src/bin/zops-worker.ts): the bundled `zops-worker.js` beside dist/bin/zops.js, or, when
 * running from sources (vitest, tsx), an eval bootstrap that imports the entry with tsx's tsImport (Node 20 workers
 * ignore --import loaders). Pure apart from existence checks.
 * @throws INTERNAL when neither exists.
 */
export const locateWorkerEntry = (moduleUrl: string = import.meta.url): WorkerEntry => {
  if (moduleUrl.endsWith(".ts")) {
    const api = pathToFileURL(
      createRequire(moduleUrl)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    const entry = new URL("../bin/zops-worker.ts", moduleUrl).href;
    return {
      kind: "eval",
      code:
        `import(${JSON.stringify(api)}).then((tsx) => ` +
        `tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(moduleUrl)}));`,
    };
  }
  const dir = dirname(fileURLToPath(moduleUrl));
  for (const candidate of [
    join(dir, "zops-worker.js"),
    join(dir, "..", "zops-worker.js"),
    join(dir, "..", "bin", "zops-worker.js"),
  ]) {
    if (existsSync(candidate)) return { kind: "file", url: pathToFileURL(candidate) };
  }
  throw new ZopsError("INTERNAL", `the zops worker script (zops-worker.js) was not found near ${dir}`, {
    hint: "rebuild zops (npm run build) so dist/bin/zops-worker.js exists",
  });
};
