// What a zops release needs to run, copied out of a built checkout: one mechanism for the release tarball
// (pack.mjs) and the portable copies the test suite and the demo run as the postgres OS user
// (scripts/lib/portable-self.ts).
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

// zstd-napi without its C sources: the loader, the JS API and the binding `npm ci` compiled.
const ZSTD_FILES = ["package.json", "binding.js", "dist", "build/Release/binding.node", "LICENSE", "NOTICE"];

/**
 * Copies the bundle (dist/), the one native runtime dependency (zstd-napi, its binding already built: no install
 * script, no build-time dependencies) and a package.json (type module, bin zops, engines, os/cpu of this machine)
 * from `checkout` (after `npm run build`) into `dir`; returns that package.json. Not atomic: `dir` is a fresh staging
 * directory.
 */
export const stageRuntime = async (checkout, dir) => {
  const source = JSON.parse(await readFile(join(checkout, "package.json"), "utf8"));
  await cp(join(checkout, "dist"), join(dir, "dist"), { recursive: true });
  const zstdFrom = join(checkout, "node_modules", "zstd-napi");
  const zstdTo = join(dir, "node_modules", "zstd-napi");
  await mkdir(zstdTo, { recursive: true });
  for (const file of ZSTD_FILES) await cp(join(zstdFrom, file), join(zstdTo, file), { recursive: true });
  const zstd = JSON.parse(await readFile(join(zstdTo, "package.json"), "utf8"));
  for (const key of ["scripts", "dependencies", "devDependencies", "files", "binary", "gypfile"]) delete zstd[key];
  await writeFile(join(zstdTo, "package.json"), `${JSON.stringify(zstd, null, 2)}\n`);
  const manifest = {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    type: "module",
    bin: source.bin,
    engines: source.engines,
    os: [process.platform],
    cpu: [process.arch],
    dependencies: { "zstd-napi": zstd.version },
    bundleDependencies: ["zstd-napi"],
    zops: { release: `${process.platform}-${process.arch}`, install: "sh install.sh [--prefix /usr/local]" },
  };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
};
