import { hostname } from "node:os";
import { uploadsRunningKey, UPLOADS_RUNNING_PREFIX } from "../repo/layout.js";
import { putJson } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";

/** An in-progress marker: a snapshot that started and has not ended (or crashed). */
export interface RunningMarker {
  readonly key: string;
  readonly modified?: Date;
}

/** Writes the in-progress marker of snapshot `id` (before it reads the index); atomic. */
export const writeRunningMarker = async (storage: Storage, id: string): Promise<void> => {
  await putJson(storage, uploadsRunningKey(id), {
    id,
    host: hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  });
};

/** Removes the marker of snapshot `id`; idempotent. */
export const removeRunningMarker = (storage: Storage, id: string): Promise<void> =>
  storage.delete([uploadsRunningKey(id)]);

/** Lists in-progress markers (live runs, and crashed ones until garbage collection removes them). */
export const listRunningMarkers = async (storage: Storage): Promise<RunningMarker[]> => {
  const markers: RunningMarker[] = [];
  for await (const info of storage.list(UPLOADS_RUNNING_PREFIX))
    markers.push({ key: info.key, modified: info.modified });
  return markers;
};
