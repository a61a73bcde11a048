import { fileURLToPath } from "node:url";
import type { ZopsConfig } from "../config/index.js";
import { ZopsError } from "../errors/index.js";
import { FileStorage } from "./file.js";
import { ResilientStorage } from "./resilient.js";
import type { Storage } from "./storage.js";

/** What openStorage needs from the configuration. */
export type StorageConfig = Pick<ZopsConfig, "repository" | "storage">;

/**
 * Opens the bare driver named by repository.url (the S3 SDK is imported only for s3:// URLs); S3 puts use the storage
 * retry policy and time limit per request.
 */
export const openDriver = async (config: StorageConfig): Promise<Storage> => {
  const url = config.repository.url;
  if (url.startsWith("file://")) return new FileStorage(fileURLToPath(url));
  if (url.startsWith("s3://")) {
    const { S3Storage } = await import("./s3.js");
    const { endpoint, region, forcePathStyle } = config.repository.s3;
    return new S3Storage({
      url,
      endpoint,
      region,
      forcePathStyle,
      retry: config.storage,
      requestTimeoutSeconds: config.storage.timeoutSeconds,
    });
  }
  throw new ZopsError("CONFIG_INVALID", `repository.url '${url}' is not a file:// or s3:// URL`, {
    hint: "use file:///absolute/path or s3://bucket/prefix",
  });
};

/**
 * Opens the repository storage named by repository.url, wrapped with timeouts and retries from the `storage:` section.
 */
export const openStorage = async (config: StorageConfig): Promise<Storage> =>
  new ResilientStorage(await openDriver(config), config.storage);
