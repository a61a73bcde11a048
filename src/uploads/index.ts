// Public API of uploads snapshots (docs/repository-format.md, "Uploads snapshots").
export { createUploadsSnapshot, type SnapshotOptions, type SnapshotProgress, type SnapshotResult } from "./snapshot.js";
export { restoreUploads, type RestoreUploadsOptions, type RestoreUploadsResult } from "./restore.js";
export { verifyUploadsSnapshot, type VerifyUploadsOptions, type VerifyUploadsReport } from "./verify.js";
export {
  findUploadSnapshot,
  listUploadSnapshots,
  pickUploadSnapshotForBackup,
  readUploadSnapshot,
  type UploadSnapshotInfo,
} from "./catalog.js";
export { expireUploads, selectUploadSnapshotsToKeep, type UploadsRetention } from "./expire.js";
export { collectUploadsGarbage, type CollectGarbageOptions, type CollectGarbageResult } from "./gc.js";
export type { SnapshotEntry, SnapshotManifest } from "./format.js";
