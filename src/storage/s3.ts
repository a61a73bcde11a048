import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  S3Client,
  type _Object,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { openBody } from "./body.js";
import { assertKey } from "./key.js";
import { addDeleteContentMd5 } from "./s3-content-md5.js";
import { mapS3Error, type S3Target } from "./s3-errors.js";
import { uploadStream, type UploadTuning } from "./s3-upload.js";
import { parseS3Url } from "./s3-url.js";
import { transientError } from "./transient.js";
import type { RetryPolicy } from "./retry-policy.js";
import type {
  GetOptions,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  Storage,
  StorageCapabilities,
} from "./storage.js";

/** Where the bucket lives; credentials are never part of it (SDK default chain only). */
export interface S3StorageOptions {
  /** `s3://bucket/prefix` */
  readonly url: string;
  /** Any S3-compatible endpoint (default: AWS for the region). */
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Multipart tuning (default 8 MiB parts, 4 in flight). */
  readonly upload?: Partial<UploadTuning>;
  /** Retries of buffered upload requests (parts); default none. openStorage passes the `storage:` settings. */
  readonly retry?: RetryPolicy;
  /** Time limit of each upload request (default 60 s); openStorage passes storage.timeoutSeconds. */
  readonly requestTimeoutSeconds?: number;
}

const DELETE_BATCH = 1000;

/**
 * Repository in an S3 bucket under a key prefix. PutObject and CompleteMultipartUpload are
 * atomic, so readers see a whole old or a whole new object. The SDK's own retries are off. Puts
 * are timed and retried here, per request (retriesOwnPuts: only the driver can replay the
 * buffered parts of a one-shot stream), see s3-upload.ts; every other operation is timed and
 * retried by the wrapper in resilient.ts.
 */
export class S3Storage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities = {
    atomicPut: true,
    multipart: true,
    localPath: false,
    network: true,
    retriesOwnPuts: true,
  };
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly target: S3Target;
  private readonly tuning: UploadTuning;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutSeconds: number;

  constructor(options: S3StorageOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`.replace(/\/$/, "");
    this.target = { location: this.location, endpoint: options.endpoint ?? `AWS S3 (${options.region})`, bucket };
    this.retry = options.retry ?? { retries: 0, retryDelayMs: 0 };
    this.requestTimeoutSeconds = options.requestTimeoutSeconds ?? 60;
    this.tuning = { partSize: options.upload?.partSize ?? 8 * 1024 * 1024, queueSize: options.upload?.queueSize ?? 4 };
    // The notice that SDK releases from 2027 need Node 22 says nothing about this run; the SDK's own switch silences it
    // (an operator may still set it to false).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 1,
    });
    addDeleteContentMd5(this.client);
  }

  private objectKey(key: string): string {
    return `${this.prefix}${assertKey(key)}`;
  }

  // Atomic put: one PutObject for small bodies, a multipart upload (aborted on failure) for large or unknown-size
  // streams.
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    try {
      const size = await uploadStream({
        client: this.client,
        bucket: this.bucket,
        key: objectKey,
        body: openBody(body),
        size: options.size,
        signal: options.signal,
        retry: this.retry,
        mapError: (error) => mapS3Error(error, this.target, key, "write"),
        requestTimeoutMs: this.requestTimeoutSeconds * 1000,
        timeoutError: () =>
          transientError(
            "STORAGE_UNREACHABLE",
            `unable to write '${key}' in repository '${this.location}': a request timed out after ` +
              `${this.requestTimeoutSeconds} s`,
            { hint: "check that the endpoint is up and reachable, or raise storage.timeoutSeconds for slow links" },
          ),
        ...this.tuning,
      });
      return { key, size };
    } catch (error) {
      throw mapS3Error(error, this.target, key, "write");
    }
  }

  // Streams the object or a byte range of it; ranges past the end give an empty stream.
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const objectKey = this.objectKey(key);
    const { start = 0, end } = options.range ?? {};
    if (end !== undefined && end <= start) {
      if (!(await this.stat(key, options))) throw mapS3Error({ name: "NoSuchKey" }, this.target, key, "read");
      return Readable.from([]);
    }
    const range = options.range ? `bytes=${start}-${end === undefined ? "" : end - 1}` : undefined;
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: range }),
        { abortSignal: options.signal },
      );
      return result.Body instanceof Readable ? result.Body : Readable.from([]);
    } catch (error) {
      if ((error as { name?: string }).name === "InvalidRange") return Readable.from([]);
      throw mapS3Error(error, this.target, key, "read");
    }
  }

  // HeadObject; undefined when the object does not exist.
  async stat(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), {
        abortSignal: options.signal,
      });
      return { key, size: head.ContentLength ?? 0, modified: head.LastModified };
    } catch (error) {
      const mapped = mapS3Error(error, this.target, key, "stat");
      if (mapped.code === "STORAGE_NOT_FOUND") return undefined;
      throw mapped;
    }
  }

  // ListObjectsV2 pages under the prefix, keys relative to the repository prefix, in key order; falls back to
  // ListObjects (V1, marker paging) for services that answer NotImplemented (older Ceph RGW).
  async *list(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<ObjectInfo> {
    let after: string | undefined;
    let token: string | undefined;
    for (;;) {
      let page: { Contents?: _Object[]; IsTruncated?: boolean; NextContinuationToken?: string; NextMarker?: string };
      try {
        page = await this.listPage(`${this.prefix}${prefix}`, token, after, options.signal);
      } catch (error) {
        throw mapS3Error(error, this.target, prefix || ".", "list");
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(this.prefix)) continue;
        after = object.Key;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modified: object.LastModified };
      }
      if (!page.IsTruncated || (this.listV1 && !page.NextMarker && !page.Contents?.length)) return;
      token = page.NextContinuationToken;
      if (this.listV1) after = page.NextMarker ?? after;
    }
  }

  private listV1 = false;

  private async listPage(
    prefix: string,
    token: string | undefined,
    after: string | undefined,
    signal: AbortSignal | undefined,
  ) {
    if (!this.listV1) {
      try {
        return await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal },
        );
      } catch (error) {
        const name = (error as { name?: string; Code?: string }).Code ?? (error as { name?: string }).name;
        if (
          name !== "NotImplemented" &&
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 501
        )
          throw error;
        this.listV1 = true;
      }
    }
    return this.client.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: after }), {
      abortSignal: signal,
    });
  }

  // DeleteObjects in batches of 1000; missing keys are not an error; any per-key failure throws naming the key.
  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let index = 0; index < keys.length; index += DELETE_BATCH) {
      const batch = keys.slice(index, index + DELETE_BATCH);
      let errors;
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Quiet: true, Objects: batch.map((key) => ({ Key: this.objectKey(key) })) },
          }),
          { abortSignal: options.signal },
        );
        errors = result.Errors ?? [];
      } catch (error) {
        throw mapS3Error(error, this.target, batch[0] ?? ".", "delete");
      }
      const first = errors.find((entry) => entry.Code !== "NoSuchKey");
      if (first) {
        const key = (first.Key ?? "").slice(this.prefix.length);
        throw mapS3Error(
          {
            name: first.Code,
            message: `${first.Message ?? "delete failed"} (${errors.length} of ${batch.length} keys failed)`,
          },
          this.target,
          key,
          "delete",
        );
      }
    }
  }

  // Closes the SDK's connection pool.
  async close(): Promise<void> {
    this.client.destroy();
  }
}
