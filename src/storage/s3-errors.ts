import { ZopsError } from "../errors/index.js";
import { notFound } from "./key.js";
import { transientError } from "./transient.js";

/** Where a failed S3 request went, for messages. */
export interface S3Target {
  readonly location: string;
  readonly endpoint: string;
  readonly bucket: string;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

const CREDENTIAL_ERRORS = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "InvalidSecurity",
  "Forbidden",
]);
const THROTTLE_ERRORS = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "InternalError",
  "ServiceUnavailable",
  "RequestLimitExceeded",
  "TooManyRequestsException",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

const CREDENTIAL_HINT =
  "zops takes S3 credentials only from the AWS SDK default chain: " +
  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and " +
  "AWS_SESSION_TOKEN), AWS_PROFILE with ~/.aws/credentials, web " +
  "identity or the instance role; check they are set for the user " +
  "running zops (root for backups, postgres for wal-push) and " +
  "allow this bucket";

/**
 * Maps any error from an S3 request on `key` to a ZopsError an operator can act on (transient ones marked for retry).
 */
export const mapS3Error = (error: unknown, target: S3Target, key: string, action: string): ZopsError => {
  if (error instanceof ZopsError) return error;
  const sdk = (error ?? {}) as SdkError;
  const name = sdk.Code ?? sdk.name ?? "";
  const status = sdk.$metadata?.httpStatusCode;
  const what = `unable to ${action} '${key}' in repository '${target.location}'`;
  const message = sdk.message ?? String(error);
  if (name === "NoSuchBucket") {
    return new ZopsError("REPO_INVALID", `${what}: bucket '${target.bucket}' does not exist at ${target.endpoint}`, {
      hint: `create the bucket '${target.bucket}' or fix repository.url`,
      cause: error,
    });
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) return notFound(target.location, key, error);
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return new ZopsError("STORAGE_UNREACHABLE", `${what}: no S3 credentials found`, {
      hint: CREDENTIAL_HINT,
      cause: error,
    });
  }
  if (CREDENTIAL_ERRORS.has(name) || status === 403 || status === 401) {
    const problem =
      name === "InvalidAccessKeyId"
        ? "the access key is not known to the endpoint (InvalidAccessKeyId)"
        : name === "SignatureDoesNotMatch"
          ? "the secret key does not match the access key (SignatureDoesNotMatch)"
          : name === "ExpiredToken"
            ? "the session token expired (ExpiredToken)"
            : `access denied (${name || status})`;
    return new ZopsError("STORAGE_UNREACHABLE", `${what}: ${target.endpoint} refused the credentials: ${problem}`, {
      hint: CREDENTIAL_HINT,
      cause: error,
    });
  }
  if (name === "AbortError")
    return transientError("STORAGE_UNREACHABLE", `${what}: request to ${target.endpoint} was aborted`, {
      cause: error,
    });
  const code = sdk.code ?? "";
  if (
    NETWORK_CODES.has(code) ||
    NETWORK_CODES.has(name) ||
    name === "TimeoutError" ||
    /socket hang up|EOF|network/i.test(message)
  ) {
    return transientError(
      "STORAGE_UNREACHABLE",
      `${what}: cannot reach S3 endpoint ${target.endpoint}: ${code || name} ${message}`.trim(),
      {
        hint: "check repository.s3.endpoint, that the service is running and reachable (DNS, firewall, proxy)",
        cause: error,
      },
    );
  }
  if (THROTTLE_ERRORS.has(name) || status === 429 || (status !== undefined && status >= 500)) {
    return transientError(
      "STORAGE_IO",
      `${what}: ${target.endpoint} answered ${status ?? ""} ${name}: ${message}`.replace(/\s+/g, " "),
      {
        hint:
          "the S3 service is overloaded or failing; zops retried with " +
          "backoff (storage.retries, storage.retryDelayMs)",
        cause: error,
      },
    );
  }
  return new ZopsError("STORAGE_IO", `${what}: ${name ? `${name}: ` : ""}${message}`, {
    hint: "the S3 service refused the request; `zops repo check` shows which operations the endpoint supports",
    cause: error,
  });
};
