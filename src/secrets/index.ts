// Public API of secrets archives (docs/repository-format.md, "Secrets archives").
export { createSecretsArchive, type SecretsArchiveResult } from "./archive.js";
export { restoreSecrets, type RestoreSecretsResult } from "./restore.js";
export { checkSecretsArchive, type SecretsCheckReport } from "./check.js";
export { listSecretsArchives, readSecretsManifest, type SecretsArchiveInfo } from "./catalog.js";
export { expireSecrets } from "./expire.js";
export { readIdentityFile } from "./identity.js";
export type { SecretsManifest } from "./format.js";
