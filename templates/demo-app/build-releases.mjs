#!/usr/bin/env node
// Builds the demo application's release tarballs for zops (docs/release-format.md):
//   node templates/demo-app/build-releases.mjs <out dir>
// writes demo-app-1.0.0.tar.gz, demo-app-2.0.0.tar.gz and demo-app-3.0.0.tar.gz:
//   v1: migration 001, config template v1;
//   v2: migrations 001-002 (reversible), config template v2 (adds page_size);
//   v3: migrations 001-003 (003 has no down: zops takes a restore point), health check answers 503.
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as tar from "tar";

const here = dirname(fileURLToPath(import.meta.url));

const VERSIONS = {
  "1.0.0": { migrations: ["001_create-greetings.sql"], template: "demo.conf.v1.tmpl", healthy: true },
  "2.0.0": {
    migrations: ["001_create-greetings.sql", "002_add-language.sql"],
    template: "demo.conf.v2.tmpl",
    healthy: true,
  },
  "3.0.0": {
    migrations: ["001_create-greetings.sql", "002_add-language.sql", "003_greeting-audit.sql"],
    template: "demo.conf.v2.tmpl",
    healthy: false,
  },
};

const manifestText = (version, extraConfigs) =>
  [
    "format: 1",
    "name: demo-app",
    `version: ${version}`,
    "migrations: migrations",
    "configs:",
    "  - template: config/demo.conf.tmpl",
    "    destination: demo.conf",
    '    mode: "0640"',
    ...Array.from({ length: extraConfigs }, (_, index) => [
      `  - template: config/extra/extra-${index}.conf.tmpl`,
      `    destination: extra/extra-${index}.conf`,
    ]).flat(),
    "hooks:",
    '  start: ["{{node}}", "app/demo-ctl.mjs", "start", "{{configDir}}/demo.conf"]',
    '  stop: ["{{node}}", "app/demo-ctl.mjs", "stop", "{{configDir}}/demo.conf"]',
    "health:",
    '  url: "http://127.0.0.1:{{port}}/health"',
    "shared: [run, logs]",
    "",
  ].join("\n");

// Builds one demo release tarball `<outDir>/demo-app-<version>.tar.gz` and returns its path;
// `extraConfigs` adds that many small config templates (for the --plan benchmark).
export const buildDemoRelease = async (outDir, version, options = {}) => {
  const spec = VERSIONS[version];
  if (!spec) throw new Error(`unknown demo version ${version} (known: ${Object.keys(VERSIONS).join(", ")})`);
  const extraConfigs = options.extraConfigs ?? 0;
  const staging = await mkdtemp(join(tmpdir(), "zops-demo-build-"));
  const top = `demo-app-${version}`;
  const release = join(staging, top);
  try {
    await mkdir(join(release, "migrations"), { recursive: true });
    await mkdir(join(release, "config", "extra"), { recursive: true });
    await cp(join(here, "app"), join(release, "app"), { recursive: true });
    for (const name of spec.migrations) await cp(join(here, "migrations", name), join(release, "migrations", name));
    await cp(join(here, "config", spec.template), join(release, "config", "demo.conf.tmpl"));
    for (let index = 0; index < extraConfigs; index += 1) {
      await writeFile(
        join(release, "config", "extra", `extra-${index}.conf.tmpl`),
        `# extra config ${index} of demo-app ${version}\nport = {{port}}\nindex = ${index}\n`,
      );
    }
    await writeFile(
      join(release, "build.json"),
      `${JSON.stringify({ name: "demo-app", version, healthy: spec.healthy })}\n`,
    );
    await writeFile(join(release, "zops-release.yml"), manifestText(version, extraConfigs));
    await mkdir(outDir, { recursive: true });
    const file = join(resolve(outDir), `${top}${extraConfigs ? `-${extraConfigs}-configs` : ""}.tar.gz`);
    await tar.c({ gzip: true, file, cwd: staging, portable: true }, [top]);
    return file;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
};

// Builds v1, v2 and v3 into `outDir`; returns their paths.
export const buildDemoReleases = async (outDir) => ({
  v1: await buildDemoRelease(outDir, "1.0.0"),
  v2: await buildDemoRelease(outDir, "2.0.0"),
  v3: await buildDemoRelease(outDir, "3.0.0"),
});

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write("usage: build-releases.mjs <out dir>\n");
    process.exit(64);
  }
  const built = await buildDemoReleases(outDir);
  for (const file of Object.values(built)) process.stdout.write(`${file}\n`);
}
