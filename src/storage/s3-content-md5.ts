import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";

interface BuiltRequest {
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Adds Content-MD5 to DeleteObjects requests. With requestChecksumCalculation "WHEN_REQUIRED" the SDK sends only an
 * x-amz-checksum-crc32 header there, and several S3-compatible services (older MinIO and Ceph releases, Backblaze B2,
 * GCS interoperability) reject a multi-object delete without Content-MD5. Idempotent: an existing Content-MD5 is kept.
 */
export const addDeleteContentMd5 = (client: S3Client): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as BuiltRequest | undefined;
      const body = request?.body;
      if (
        context.commandName === "DeleteObjectsCommand" &&
        request?.headers &&
        (typeof body === "string" || body instanceof Uint8Array)
      ) {
        const present = Object.keys(request.headers).some((name) => name.toLowerCase() === "content-md5");
        if (!present) request.headers["content-md5"] = createHash("md5").update(body).digest("base64");
      }
      return next(args);
    },
    { step: "build", name: "zopsDeleteContentMd5" },
  );
};
