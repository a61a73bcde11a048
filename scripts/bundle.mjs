// Bundles the CLI into dist/bin with code splitting: `zops wal-push` loads only the chunks it
// imports (the S3 SDK, listr2 and pg stay on disk until a command needs them). Native and
// optional modules stay external and load from node_modules.
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await build({
  // zops-worker.js: the worker-thread entry of the backup/restore pool (src/backup/worker-pool.ts finds it beside zops.js).
  entryPoints: { zops: "src/bin/zops.ts", "zops-worker": "src/backup/worker.ts" },
  outdir: "dist/bin",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  external: ["zstd-napi", "pg-native", "s3rver"],
  banner: { js: "import { createRequire as __zopsRequire } from 'node:module'; const require = __zopsRequire(import.meta.url);" },
  logLevel: "warning",
  // A unique id per build: caches keyed by it (the wal-push config cache) never outlive the zops that wrote them.
  define: { "process.env.ZOPS_BUILD_ID": JSON.stringify(`${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`) },
});
await chmod("dist/bin/zops.js", 0o755);
