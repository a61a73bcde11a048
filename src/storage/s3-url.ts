import { ZopsError } from "../errors/index.js";

/** Bucket and key prefix of an `s3://bucket/prefix` URL (prefix empty or ending in `/`). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** Splits `s3://bucket/some/prefix` into bucket and `some/prefix/`; throws CONFIG_INVALID for anything else. */
export const parseS3Url = (url: string): S3Location => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1])
    throw new ZopsError("CONFIG_INVALID", `repository.url '${url}' is not an s3://bucket/prefix URL`, {
      hint: "use s3://bucket or s3://bucket/prefix",
    });
  const path = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (path.split("/").some((part) => part === "." || part === "..") || path.includes("//")) {
    throw new ZopsError("CONFIG_INVALID", `repository.url '${url}' has an invalid key prefix '${path}'`, {
      hint: "the prefix is '/'-separated names without '.', '..' or empty parts",
    });
  }
  return { bucket: match[1], prefix: path ? `${path}/` : "" };
};
