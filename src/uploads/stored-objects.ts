import { UPLOADS_BLOBS_PREFIX, UPLOADS_PACKS_PREFIX } from "../repo/layout.js";
import type { ObjectInfo, Storage } from "../storage/storage.js";

/** Lists every pack and large-blob object in the repository by key (one listing per prefix; read-only). */
export const listDataObjects = async (storage: Storage): Promise<Map<string, ObjectInfo>> => {
  const objects = new Map<string, ObjectInfo>();
  for (const prefix of [UPLOADS_PACKS_PREFIX, UPLOADS_BLOBS_PREFIX]) {
    for await (const info of storage.list(prefix)) objects.set(info.key, info);
  }
  return objects;
};
