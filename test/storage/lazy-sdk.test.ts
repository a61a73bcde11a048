import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/exec/run.js";
import { zopsCommand } from "../../src/exec/self-command.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

const HOOK = fileURLToPath(new URL("./fixtures/record-chunks.mjs", import.meta.url));

// Runs the bundled CLI with a module-load recorder and returns the URLs of the modules it loaded.
const loadedModules = async (dir: string, config: string, args: string[]): Promise<string[]> => {
  const log = join(dir, `loaded-${Math.random().toString(16).slice(2)}.txt`);
  await writeFile(log, "");
  const [node, ...script] = zopsCommand();
  const result = await run(
    node ?? process.execPath,
    ["--import", pathToFileURL(HOOK).href, ...script, "--config", config, ...args],
    {
      reject: false,
      env: { ZOPS_TEST_LOAD_LOG: log, ZOPS_QUIET: "1" },
    },
  );
  expect(result.exitCode, result.stderr).toBe(0);
  return (await readFile(log, "utf8")).split("\n").filter(Boolean);
};

// True when any loaded file holds the S3 SDK's client code.
const loadsSdk = async (urls: string[]): Promise<boolean> => {
  for (const url of urls) {
    if (!url.startsWith("file:")) continue;
    const text = await readFile(fileURLToPath(url), "utf8").catch(() => "");
    if (text.includes("CreateMultipartUploadCommand")) return true;
  }
  return false;
};

describe("lazy S3 SDK", () => {
  let dir: string;
  let s3: TestS3Server;
  beforeAll(async () => {
    dir = await makeTempDir("lazy-sdk", { forPostgres: false });
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.destroy();
    await removeTempDir(dir);
  });

  it("is never loaded for a file repository, and is loaded for an s3 one", async () => {
    const fileConfig = join(dir, "file.yml");
    await writeFile(fileConfig, `repository:\n  url: ${pathToFileURL(join(dir, "repo")).href}\n`);
    expect(await loadsSdk(await loadedModules(dir, fileConfig, ["repo", "init"]))).toBe(false);
    const s3Config = join(dir, "s3.yml");
    const { url, s3: settings } = s3.withPrefix("lazy").repositoryConfig;
    await writeFile(
      s3Config,
      `repository:\n  url: ${url}\n  s3:\n    endpoint: ` +
        `${settings.endpoint}\n    region: ${settings.region}\n    ` +
        `forcePathStyle: true\n`,
    );
    expect(await loadsSdk(await loadedModules(dir, s3Config, ["repo", "init"]))).toBe(true);
  });
});
