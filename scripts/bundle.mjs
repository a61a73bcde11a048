// Bundles the CLI into dist/bin in two builds sharing one build id:
// - dist/bin/zops.js: the entry, one self-contained file holding only the wal-push start-up fast path
//   (src/bin/wal-push-fast.ts), so a wal-push that PostgreSQL's archiver makes for an already pushed-ahead file
//   loads no other module; everything else is a dynamic import of zops-cli.js.
// - dist/bin/zops-cli.js and zops-worker.js with code splitting: `zops wal-push` loads only the chunks it
//   imports (the S3 SDK, listr2 and pg stay on disk until a command needs them).
// Native and optional modules stay external and load from node_modules.
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";

// A unique id per build: caches keyed by it (the wal-push config cache) never outlive the zops that wrote them.
const define = {
  "process.env.ZOPS_BUILD_ID": JSON.stringify(`${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`),
};
const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  define,
};

await rm("dist", { recursive: true, force: true });
await build({
  ...common,
  // zops-worker.js: the worker-thread entry of the backup/restore pool (src/workers/locate.ts finds it beside
  // zops.js).
  entryPoints: { "zops-cli": "src/cli.ts", "zops-worker": "src/bin/zops-worker.ts" },
  outdir: "dist/bin",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  external: ["zstd-napi", "pg-native", "s3rver"],
  banner: {
    js: "import { createRequire as __zopsRequire } from 'node:module'; const require = __zopsRequire(import.meta.url);",
  },
});
await build({
  ...common,
  entryPoints: { zops: "src/bin/zops.ts" },
  outdir: "dist/bin",
  // The CLI is the other build's entry, loaded only when the fast path does not answer.
  plugins: [
    {
      name: "cli-entry",
      setup: (b) => b.onResolve({ filter: /^\.\.\/cli\.js$/ }, () => ({ path: "./zops-cli.js", external: true })),
    },
  ],
});
await chmod("dist/bin/zops.js", 0o755);
