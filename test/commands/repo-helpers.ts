import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { GlobalOptions } from "../../src/commands/command.js";

/** A repository section as a zops.yml holds it. */
export type RepositorySection = { url: string; s3?: { endpoint: string; region: string; forcePathStyle: boolean } };

/**
 * Writes a zops.yml with the given repository section and fast storage limits; returns the globals to run a command
 * with.
 */
export const writeRepoConfig = async (
  dir: string,
  repository: RepositorySection,
  storage = { timeoutSeconds: 2, retries: 0, retryDelayMs: 50 },
): Promise<GlobalOptions> => {
  const path = join(dir, `zops-${Math.random().toString(16).slice(2)}.yml`);
  await writeFile(path, stringify({ repository, storage }));
  return { config: path, json: true, verbose: false };
};

/** Runs `work` and returns what it threw (fails the test when it did not throw). */
export const thrownBy = async (
  work: () => Promise<unknown>,
): Promise<Error & { code?: string; exitCode?: number; hint?: string }> => {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the command to fail");
};
