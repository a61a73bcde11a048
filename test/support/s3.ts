import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Credentials s3rver knows (its built-in account); any other access key is rejected with InvalidAccessKeyId. */
export const S3_ACCESS_KEY = "S3RVER";
export const S3_SECRET_KEY = "S3RVER";
export const S3_REGION = "us-east-1";

/** Environment for processes that talk to the test S3 (archive_command, the CLI). */
export const S3_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: S3_SECRET_KEY,
  AWS_REGION: S3_REGION,
  // Never probe the EC2 instance metadata service from tests.
  AWS_EC2_METADATA_DISABLED: "true",
  // The SDK's documented switch for its "Node 22 required from 2027" notice.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

export interface S3ServerOptions {
  /** Bucket to create (default: a unique `zops-test-<hex>`). */
  readonly bucket?: string;
  /** Key prefix inside the bucket for `url` (default `repo`). */
  readonly prefix?: string;
}

/** A running s3rver process with one bucket. */
export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** `s3://<bucket>/<prefix>` */
  readonly url: string;
  /** The `repository:` config section pointing at this server. */
  readonly repositoryConfig: { url: string; s3: { endpoint: string; region: string; forcePathStyle: true } };
  /** AWS_* variables for child processes (also set in process.env). */
  readonly env: Readonly<Record<string, string>>;
  /** Directory holding the server's data. */
  readonly dataDir: string;
  /** Same server, another bucket-prefix URL (`s3://<bucket>/<prefix>`) with its repository section. */
  withPrefix(prefix: string): { url: string; repositoryConfig: TestS3Server["repositoryConfig"] };
  /** Kills the server; data stays (restart() brings it back on the same port). */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data (safe to call twice). */
  destroy(): Promise<void>;
}

// s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
const SCRIPT = fileURLToPath(new URL("./s3rver-process.mjs", import.meta.url));
const live = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

const launch = (dataDir: string, port: number, bucket: string): Promise<{ child: ChildProcess; port: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--openssl-legacy-provider", SCRIPT, dataDir, String(port), bucket], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(child);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => fail(new Error("did not report READY within 20 s")), 20_000);
    const fail = (why: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      live.delete(child);
      reject(
        new Error(
          `unable to start s3rver (${SCRIPT}) on 127.0.0.1:${port}: ` +
            `${why.message}${stderr ? `\n${stderr.trim()}` : ""}`,
        ),
      );
    };
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /READY (\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      live.delete(child);
      if (!/READY/.test(stdout)) fail(new Error(`exited with ${code ?? signal}`));
    });
  });

const terminate = async (child: ChildProcess | undefined): Promise<void> => {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
  live.delete(child);
};

/**
 * Starts s3rver as a separate process on a free loopback port with its own data directory and a fresh bucket; sets
 * AWS_* in process.env. Throws (never skips) when it cannot start.
 */
export const startS3Server = async (options: S3ServerOptions = {}): Promise<TestS3Server> => {
  for (const [name, value] of Object.entries(S3_ENV)) process.env[name] = value;
  const bucket = options.bucket ?? `zops-test-${randomBytes(5).toString("hex")}`;
  const prefix = options.prefix ?? "repo";
  const dataDir = await mkdtemp(join(tmpdir(), "zops-s3rver-"));
  let { child, port } = await launch(dataDir, 0, bucket).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const at = (keyPrefix: string) => {
    const url = `s3://${bucket}${keyPrefix ? `/${keyPrefix}` : ""}`;
    return { url, repositoryConfig: { url, s3: { endpoint, region: S3_REGION, forcePathStyle: true as const } } };
  };
  let current: ChildProcess | undefined = child;
  return {
    endpoint,
    port,
    bucket,
    ...at(prefix),
    env: S3_ENV,
    dataDir,
    withPrefix: at,
    stop: async () => {
      await terminate(current);
      current = undefined;
    },
    restart: async () => {
      await terminate(current);
      ({ child, port } = await launch(dataDir, port, bucket));
      current = child;
    },
    destroy: async () => {
      await terminate(current);
      current = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
