/** dpkg's conffile classes (the three hashes: last installed by zops, new shipped, on disk). */
export type DriftClass =
  /** On disk already equals the new shipped version. */
  | "unchanged"
  /** Not installed before and absent on disk: install. */
  | "new"
  /** Untouched since zops installed it, upstream changed: replace silently. */
  | "upgrade"
  /** Edited locally, upstream did not change: keep the local file. */
  | "kept-local-edit"
  /** Deleted locally, upstream did not change: stay deleted (dpkg semantics). */
  | "kept-local-delete"
  /** Edited (or deleted) locally AND changed upstream: blocks unless a policy decides. */
  | "conflict"
  /** Not installed by zops before but present on disk with other content: blocks unless a policy decides. */
  | "created-locally";

/** What to do with a conflict: block (default), keep the local file, or replace it. */
export type ConfigPolicy = "fail" | "keep" | "replace";

/** What the upgrade will write for one config file. */
export type DriftAction =
  | "none"
  | "install"
  /** Keep the local file, write the new version to `<file>.zops-dist`. */
  | "keep-write-dist"
  /** Save the local file to `<file>.zops-old`, install the new version. */
  | "replace-save-old"
  | "blocked";

/**
 * Classifies one config file by dpkg's table (pure): base = sha256 zops installed last (undefined: never), disk =
 * sha256 on disk (undefined: missing).
 */
export const classifyConffile = (base: string | undefined, shipped: string, disk: string | undefined): DriftClass => {
  if (disk === shipped) return "unchanged";
  if (base === undefined) return disk === undefined ? "new" : "created-locally";
  const userEdited = disk !== base;
  const distChanged = shipped !== base;
  if (!userEdited) return distChanged ? "upgrade" : "unchanged";
  if (!distChanged) return disk === undefined ? "kept-local-delete" : "kept-local-edit";
  return "conflict";
};

/** Decides the action for a class under a policy (pure). */
export const actionFor = (kind: DriftClass, policy: ConfigPolicy): DriftAction => {
  switch (kind) {
    case "unchanged":
    case "kept-local-edit":
    case "kept-local-delete":
      return "none";
    case "new":
    case "upgrade":
      return "install";
    case "conflict":
    case "created-locally":
      return policy === "keep" ? "keep-write-dist" : policy === "replace" ? "replace-save-old" : "blocked";
  }
};
