import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { retryTransient, type RetryPolicy } from "./retry-policy.js";

const MIB = 1024 * 1024;
/** Smallest part S3 accepts (except the last). */
export const MIN_PART_SIZE = 5 * MIB;
const MAX_PARTS = 10_000;

/** How a stream is cut into parts. */
export interface UploadTuning {
  /** Size of each part; a body shorter than this is stored with one PutObject. */
  readonly partSize: number;
  /** Parts uploaded at once; memory stays below partSize × (queueSize + 1). */
  readonly queueSize: number;
}

export interface UploadRequest extends UploadTuning {
  /** Retries for requests whose body is buffered (single PutObject, CreateMultipartUpload, each part). */
  readonly retry: RetryPolicy;
  /** Maps an SDK error to a ZopsError (transient ones are retried). */
  readonly mapError: (error: unknown) => Error;
  /** Each request fails after this long (a transient timeout: retried like a network error). */
  readonly requestTimeoutMs: number;
  /** The transient error of a request that timed out. */
  readonly timeoutError: () => Error;
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  /** Total size when known, so huge objects get parts big enough to stay under 10,000. */
  readonly size?: number;
  readonly signal?: AbortSignal;
}

// Part size for part `number`: the base size, doubled every 2,000 parts, so an unknown-size stream can reach ~500 GB
// with 8 MiB base parts.
const partSizeFor = (request: UploadRequest, number: number): number => {
  const base = Math.max(request.partSize, MIN_PART_SIZE, request.size ? Math.ceil(request.size / (MAX_PARTS - 1)) : 0);
  return base * 2 ** Math.floor((number - 1) / 2000);
};

// Reads `body` into parts of partSizeFor(n) bytes, yielding each full part and the (possibly short) last one.
async function* cutParts(request: UploadRequest): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let buffered = 0;
  let number = 1;
  for await (const chunk of request.body) {
    const data = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(data);
    buffered += data.length;
    while (buffered >= partSizeFor(request, number)) {
      const size = partSizeFor(request, number);
      const all = Buffer.concat(chunks);
      yield all.subarray(0, size);
      chunks = [all.subarray(size)];
      buffered = all.length - size;
      number += 1;
    }
  }
  if (buffered > 0 || number === 1) yield Buffer.concat(chunks);
}

/**
 * Stores the stream with one PutObject when it fits in one part, else as a multipart upload with at most queueSize
 * parts in flight; on any failure the multipart upload is aborted, so no object and no billed parts remain. Every
 * request is timed on its own; those with a buffered body (the single PutObject, each part) are retried after
 * transient errors with the storage retry policy. This is the only retry of a put on S3 (the wrapper does not retry a
 * driver that declares retriesOwnPuts), and its final error says how many attempts ran.
 */
export const uploadStream = async (request: UploadRequest): Promise<number> => {
  const { client, bucket, key } = request;
  const parts = cutParts(request);
  const first = await parts.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second =
    firstPart.length < partSizeFor(request, 1) ? { done: true as const, value: undefined } : await parts.next();
  // Each request runs with its own time limit, so a stalled one fails as transient and is retried like a network
  // error; buffered requests are replayable, so transient failures of one part do not fail a large upload.
  const sendTimed = async <T>(send: (signal: AbortSignal) => Promise<T>, outer = request.signal): Promise<T> => {
    const timeout = AbortSignal.timeout(request.requestTimeoutMs);
    try {
      return await send(outer ? AbortSignal.any([outer, timeout]) : timeout);
    } catch (error) {
      throw timeout.aborted && !outer?.aborted ? request.timeoutError() : request.mapError(error);
    }
  };
  const sendRetrying = <T>(send: (signal: AbortSignal) => Promise<T>, signal = request.signal): Promise<T> =>
    retryTransient(request.retry, () => sendTimed(send, signal), signal);
  if (second.done) {
    await sendRetrying((signal) =>
      client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: firstPart, ContentLength: firstPart.length }),
        { abortSignal: signal },
      ),
    );
    return firstPart.length;
  }
  const created = await sendRetrying((signal) =>
    client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error("CreateMultipartUpload returned no UploadId");
  const failed = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, failed.signal]) : failed.signal;
  const done: { PartNumber: number; ETag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let total = 0;
  const send = (number: number, data: Buffer) => {
    const upload = sendRetrying(
      (partSignal) =>
        client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: number,
            Body: data,
            ContentLength: data.length,
          }),
          { abortSignal: partSignal },
        ),
      signal,
    )
      .then((result) => {
        done.push({ PartNumber: number, ETag: result.ETag ?? "" });
      })
      .catch((error: unknown) => {
        failure ??= error;
        failed.abort(error);
      })
      .finally(() => inFlight.delete(upload));
    inFlight.add(upload);
    total += data.length;
  };
  try {
    send(1, firstPart);
    let number = 2;
    for (let part: IteratorResult<Buffer> = second; !part.done; part = await parts.next()) {
      while (inFlight.size >= request.queueSize && failure === undefined) await Promise.race(inFlight);
      if (failure !== undefined) break;
      send(number, part.value);
      number += 1;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    // Not retried: a retry after a lost answer could find the upload already completed (NoSuchUpload).
    await sendTimed((signal) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: done },
        }),
        { abortSignal: signal },
      ),
    );
    return total;
  } catch (error) {
    failed.abort(error);
    await Promise.allSettled(inFlight);
    await parts.return(undefined).catch(() => undefined);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
        abortSignal: AbortSignal.timeout(15_000),
      })
      .catch(() => undefined);
    throw error;
  }
};
