import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Timeouts catch hangs only: every test bounds its own work (attempt counts, case counts), so they sit far above
    // what a loaded 2-core machine needs (the slowest tests took 2-3 minutes there beside other work).
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
