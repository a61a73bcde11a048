// `npm run release`: packs a self-contained zops release for this platform, installable without the checkout, npm or
// a compiler: release/zops-<version>-<os>-<arch>.tgz (an `npm pack` tarball: its files are under package/).
// It holds the bundle (dist/bin/zops.js, zops-cli.js, zops-worker.js, chunks/), the one native runtime dependency
// (zstd-napi with its binding built here: Node-API, so any Node 20.19+ on the same OS and CPU loads it; no build step
// at install), the operator templates, the docs and install.sh (scripts/release/install.sh: installs to
// /usr/local/lib/zops with the command /usr/local/bin/zops; README "Install").
//   node scripts/release/pack.mjs [--out DIR]     (after npm run build; `npm run release` does both)
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stageRuntime } from "./stage-runtime.mjs";

const checkout = resolve(import.meta.dirname, "..", "..");
const outIndex = process.argv.indexOf("--out");
const out = resolve(outIndex > 0 ? (process.argv[outIndex + 1] ?? "release") : join(checkout, "release"));

// The operator templates (not the demo application).
const TEMPLATES = ["cron.d", "systemd", "logrotate.d", "postgresql.conf", "zops.yml", "release-manifest.example.yml"];

const stage = await mkdtemp(join(tmpdir(), "zops-release-"));
try {
  const manifest = await stageRuntime(checkout, stage);
  for (const name of TEMPLATES)
    await cp(join(checkout, "templates", name), join(stage, "templates", name), { recursive: true });
  await cp(join(checkout, "docs"), join(stage, "docs"), { recursive: true });
  await cp(join(checkout, "README.md"), join(stage, "README.md"));
  await cp(join(checkout, "scripts", "release", "install.sh"), join(stage, "install.sh"));
  await mkdir(out, { recursive: true });
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], {
      cwd: stage,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const target = join(out, `${manifest.name}-${manifest.version}-${manifest.zops.release}.tgz`);
  await rename(join(out, packed.filename), target);
  process.stdout.write(`${target}\n`);
} finally {
  await rm(stage, { recursive: true, force: true });
}
