import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/open.js";
import { listAll } from "../../src/storage/read.js";
import { startS3Server, type TestS3Server } from "../support/s3.js";

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

// A recording HTTP proxy in front of s3rver: what zops sends on the wire, answered by a real S3 server.
// With `rejectListV2`, it answers ListObjectsV2 with 501 NotImplemented, as older Ceph RGW releases do; with
// `throttlePuts`, every PUT with 503 SlowDown (transient).
const startRecordingProxy = async (
  target: string,
  options: { rejectListV2?: boolean; throttlePuts?: boolean } = {},
): Promise<{ server: Server; endpoint: string; requests: Recorded[] }> => {
  const requests: Recorded[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: incoming.method ?? "", url: incoming.url ?? "", headers: incoming.headers, body });
      if (options.rejectListV2 && incoming.method === "GET" && incoming.url?.includes("list-type=2")) {
        const xml =
          '<?xml version="1.0" ' +
          'encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>ListObjectsV2 ' +
          "is not implemented</Message></Error>";
        outgoing.writeHead(501, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
        outgoing.end(xml);
        return;
      }
      if (options.throttlePuts && incoming.method === "PUT") {
        const xml =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>slow down</Message></Error>';
        outgoing.writeHead(503, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
        outgoing.end(xml);
        return;
      }
      const forward = httpRequest(
        `${target}${incoming.url ?? ""}`,
        { method: incoming.method, headers: incoming.headers },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forward.on("error", () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
};

describe("S3 requests on the wire", () => {
  let s3: TestS3Server;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  beforeAll(async () => {
    s3 = await startS3Server();
    proxy = await startRecordingProxy(s3.endpoint);
  });
  afterAll(async () => {
    proxy?.server.closeAllConnections();
    proxy?.server.close();
    await s3?.destroy();
  });

  it(
    "sends no default checksum headers on puts and gets, a correct " +
      "Content-MD5 on DeleteObjects, and path-style URLs",
    async () => {
      const storage = await openStorage({
        repository: {
          url: `s3://${s3.bucket}/wire`,
          s3: { endpoint: proxy.endpoint, region: "us-east-1", forcePathStyle: true },
        },
        storage: { timeoutSeconds: 10, retries: 0, retryDelayMs: 50 },
      });
      await storage.put("a", "first");
      await storage.put("b", Buffer.alloc(10, 1));
      await storage.get("a").then(async (stream) => {
        for await (const _chunk of stream) {
          // drain
        }
      });
      await storage.delete(["a", "b"]);
      expect(await listAll(storage, "")).toEqual([]);
      await storage.close?.();

      const puts = proxy.requests.filter((entry) => entry.method === "PUT");
      expect(puts.map((entry) => entry.url.split("?")[0])).toEqual([`/${s3.bucket}/wire/a`, `/${s3.bucket}/wire/b`]);
      for (const entry of [...puts, ...proxy.requests.filter((item) => item.method === "GET")]) {
        expect(
          Object.keys(entry.headers).filter(
            (name) => name.startsWith("x-amz-checksum") || name === "x-amz-sdk-checksum-algorithm",
          ),
        ).toEqual([]);
        expect(entry.headers["x-amz-trailer"]).toBeUndefined();
      }
      const deletes = proxy.requests.filter((entry) => entry.method === "POST" && entry.url.includes("delete"));
      expect(deletes).toHaveLength(1);
      const del = deletes[0]!;
      expect(del.headers["content-md5"]).toBe(createHash("md5").update(del.body).digest("base64"));
      expect(del.body.toString()).toContain("<Key>wire/a</Key>");
      expect(del.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=S3RVER\//);
    },
  );

  it("falls back to ListObjects (V1, marker paging) when ListObjectsV2 is not implemented", async () => {
    const v1 = await startRecordingProxy(s3.endpoint, { rejectListV2: true });
    try {
      const storage = await openStorage({
        repository: {
          url: `s3://${s3.bucket}/v1`,
          s3: { endpoint: v1.endpoint, region: "us-east-1", forcePathStyle: true },
        },
        storage: { timeoutSeconds: 20, retries: 2, retryDelayMs: 50 },
      });
      const keys = Array.from({ length: 1005 }, (_, index) => `k/${String(index).padStart(4, "0")}`);
      // Written straight to s3rver (not through the proxy): only the listing needs the fallback.
      const direct = await openStorage({
        repository: {
          url: `s3://${s3.bucket}/v1`,
          s3: { endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true },
        },
        storage: { timeoutSeconds: 20, retries: 2, retryDelayMs: 50 },
      });
      for (let index = 0; index < keys.length; index += 100)
        await Promise.all(keys.slice(index, index + 100).map((key) => direct.put(key, "x")));
      expect(await listAll(storage, "k/")).toEqual(keys);
      const lists = v1.requests.filter((entry) => entry.method === "GET" && entry.url.includes("prefix="));
      expect(lists.filter((entry) => entry.url.includes("list-type=2"))).toHaveLength(1);
      expect(lists.filter((entry) => !entry.url.includes("list-type=2")).length).toBe(2);
      await direct.delete(keys);
      await direct.close?.();
      await storage.close?.();
    } finally {
      v1.server.closeAllConnections();
      v1.server.close();
    }
  });

  it("retries a failing put in one layer only, as often as storage.retries says, and says so", async () => {
    const throttled = await startRecordingProxy(s3.endpoint, { throttlePuts: true });
    try {
      const storage = await openStorage({
        repository: {
          url: `s3://${s3.bucket}/slow`,
          s3: { endpoint: throttled.endpoint, region: "us-east-1", forcePathStyle: true },
        },
        storage: { timeoutSeconds: 20, retries: 4, retryDelayMs: 1 },
      });
      await expect(storage.put("wal/one", Buffer.alloc(1000, 7))).rejects.toMatchObject({
        code: "STORAGE_IO",
        message: expect.stringMatching(/\(gave up after 5 attempts\)$/),
        details: { attempts: 5 },
      });
      expect(throttled.requests.filter((entry) => entry.method === "PUT")).toHaveLength(5);
      await storage.close?.();
    } finally {
      throttled.server.closeAllConnections();
      throttled.server.close();
    }
  });
});
