import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZopsError } from "../../src/errors/index.js";
import { openStorage } from "../../src/storage/open.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import { ResilientStorage } from "../../src/storage/resilient.js";
import { S3Storage } from "../../src/storage/s3.js";
import type { Storage } from "../../src/storage/storage.js";
import { freePort } from "../support/ports.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";
import { runStorageContract } from "./contract.js";
import { hashStream, makeDataStream } from "./contract-data.js";

const MIB = 1024 * 1024;
const fast = { timeoutSeconds: 1, retries: 0, retryDelayMs: 50 };

const openS3 = (endpoint: string, url: string, storage = fast): Promise<Storage> =>
  openStorage({ repository: { url, s3: { endpoint, region: "us-east-1", forcePathStyle: true } }, storage });

const failureOf = async (promise: Promise<unknown>): Promise<ZopsError> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the operation to fail").toBeInstanceOf(Error);
  return error as ZopsError;
};

const listen = <T extends Server | HttpServer>(server: T): Promise<number> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));

// The contract runs through the timeout/retry wrapper with small parts (5 MiB, 3 in flight), so the
// memory bound of a 100 MiB multipart upload (~40 MiB) is far from the object's size; the default
// tuning (8 MiB x 4) runs in every other test here, which go through openStorage.
runStorageContract("s3 (s3rver, through the wrapper, 5 MiB parts)", async () => {
  const s3 = await startS3Server();
  const retry = { timeoutSeconds: 30, retries: 2, retryDelayMs: 100 };
  return {
    storage: new ResilientStorage(
      new S3Storage({ url: s3.url, ...s3.repositoryConfig.s3, upload: { partSize: 5 * MIB, queueSize: 3 }, retry }),
      retry,
    ),
    cleanup: () => s3.destroy(),
  };
});

describe("s3 driver failures (through the timeout/retry wrapper)", () => {
  let s3: TestS3Server;
  const sockets = new Set<Socket>();
  let silent: Server;
  let silentPort: number;
  let stalling: HttpServer;
  let stallingPort: number;

  beforeAll(async () => {
    s3 = await startS3Server();
    silent = createServer((socket) => {
      sockets.add(socket);
    });
    silentPort = await listen(silent);
    stalling = createHttpServer((_request, response) => {
      response.writeHead(200, { "content-length": "1000", "content-type": "application/octet-stream" });
      response.write(Buffer.alloc(10, 1));
    });
    stallingPort = await listen(stalling);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    silent?.close();
    stalling?.closeAllConnections();
    stalling?.close();
    await s3?.destroy();
  });

  it("fails every operation against a closed port: STORAGE_UNREACHABLE, the endpoint, the attempts", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const storage = await openS3(endpoint, "s3://bucket/repo", { timeoutSeconds: 1, retries: 2, retryDelayMs: 50 });
    for (const operation of [
      () => storage.put("k", "v"),
      () => storage.get("k"),
      () => storage.stat("k"),
      () => listAll(storage, ""),
      () => storage.delete(["k"]),
    ]) {
      const error = await failureOf(operation());
      expect(error.code).toBe("STORAGE_UNREACHABLE");
      expect(error.message).toContain(endpoint);
      expect(error.message).toContain("ECONNREFUSED");
      expect(error.message).toContain("gave up after 3 attempts");
    }
    await storage.close?.();
  });

  it("times out against a server that accepts connections and never answers", async () => {
    const storage = await openS3(`http://127.0.0.1:${silentPort}`, "s3://bucket/repo");
    for (const operation of [
      () => storage.put("k", "v"),
      () => storage.get("k"),
      () => storage.stat("k"),
      () => listAll(storage, ""),
      () => storage.delete(["k"]),
    ]) {
      const started = performance.now();
      const error = await failureOf(operation());
      const elapsed = performance.now() - started;
      expect(error.code).toBe("STORAGE_UNREACHABLE");
      expect(error.message).toMatch(/timed out after 1 s/);
      expect(elapsed).toBeGreaterThanOrEqual(900);
    }
    await storage.close?.();
  });

  it("retries a hanging endpoint the configured number of times and says so", async () => {
    const storage = await openS3(`http://127.0.0.1:${silentPort}`, "s3://bucket/repo", {
      timeoutSeconds: 1,
      retries: 1,
      retryDelayMs: 50,
    });
    const started = performance.now();
    const error = await failureOf(storage.stat("k"));
    expect(error.message).toMatch(/timed out after 1 s \(gave up after 2 attempts\)/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    await storage.close?.();
  });

  it("fails a download whose body stalls with an idle timeout instead of hanging", async () => {
    const storage = await openS3(`http://127.0.0.1:${stallingPort}`, "s3://bucket/repo");
    const started = performance.now();
    const error = await failureOf(getBuffer(storage, "object"));
    expect(error.code).toBe("STORAGE_UNREACHABLE");
    expect(error.message).toMatch(/unable to read 'object'.*timed out after 1 s/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    await storage.close?.();
  });

  it("rejects an unknown access key at once, naming the credential problem and the credential chain", async () => {
    const saved = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = "NOT-A-KNOWN-KEY";
    let storage: Storage | undefined;
    try {
      storage = await openS3(s3.endpoint, s3.url, { timeoutSeconds: 5, retries: 3, retryDelayMs: 1000 });
      const error = await failureOf(storage.put("k", "v"));
      expect(error.code).toBe("STORAGE_UNREACHABLE");
      expect(error.message).toMatch(
        /refused the credentials: the access key is not known to the endpoint \(InvalidAccessKeyId\)/,
      );
      expect(error.hint).toMatch(/AWS_ACCESS_KEY_ID/);
      expect(error.message).not.toMatch(/attempts/);
      const read = await failureOf(storage.get("k"));
      expect(read.message).toMatch(/InvalidAccessKeyId/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved;
      await storage?.close?.();
    }
  });

  it("names a missing bucket as an invalid repository", async () => {
    const storage = await openS3(s3.endpoint, "s3://no-such-bucket/repo");
    const error = await failureOf(storage.put("k", "v"));
    expect(error.code).toBe("REPO_INVALID");
    expect(error.message).toContain("bucket 'no-such-bucket' does not exist");
    await storage.close?.();
  });

  it("resumes a download at the last byte when the server goes away and comes back", async () => {
    const storage = await openS3(s3.endpoint, s3.withPrefix("resume").url, {
      timeoutSeconds: 30,
      retries: 6,
      retryDelayMs: 300,
    });
    const data = makeDataStream(40 * MIB, 3);
    await storage.put("big", data.stream());
    const stream = await storage.get("big");
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    await s3.stop();
    const restarted = s3.restart();
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256").update(first.value as Buffer);
    let size = (first.value as Buffer).length;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      hash.update(next.value as Buffer);
      size += (next.value as Buffer).length;
    }
    await restarted;
    expect({ sha256: hash.digest("hex"), size }).toEqual({ sha256: data.sha256, size: 40 * MIB });
    expect(await hashStream(await storage.get("big"))).toEqual({ sha256: data.sha256, size: 40 * MIB });
    await storage.close?.();
  });

  it(
    "finishes a one-shot stream upload when the server goes away " +
      "mid-upload and comes back (buffered parts are retried)",
    async () => {
      const storage = await openS3(s3.endpoint, s3.withPrefix("part-retry").url, {
        timeoutSeconds: 30,
        retries: 6,
        retryDelayMs: 300,
      });
      const data = makeDataStream(48 * MIB, 5);
      let sent = 0;
      let restarted: Promise<void> | undefined;
      const source = data.stream();
      source.on("data", (chunk: Buffer) => {
        sent += chunk.length;
        if (sent === 20 * MIB) restarted = s3.stop().then(() => s3.restart());
      });
      await storage.put("big", source);
      await restarted;
      expect(restarted, "the server was never restarted during the upload").toBeDefined();
      expect(await hashStream(await storage.get("big"))).toEqual({ sha256: data.sha256, size: 48 * MIB });
      await storage.close?.();
    },
  );

  it("keeps data across stop and restart of the test server", async () => {
    const storage = await openS3(s3.endpoint, s3.withPrefix("persist").url, {
      timeoutSeconds: 15,
      retries: 4,
      retryDelayMs: 200,
    });
    await storage.put("kept", "still here");
    await s3.stop();
    expect((await failureOf(storage.stat("kept"))).code).toBe("STORAGE_UNREACHABLE");
    await s3.restart();
    expect((await getBuffer(storage, "kept")).toString()).toBe("still here");
    await storage.close?.();
  });
});
