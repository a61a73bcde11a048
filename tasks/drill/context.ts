import type { ZopsConfig } from "../../src/config/index.js";
import type { BackupManifest } from "../../src/backup/manifest.js";
import type { AmcheckPlan } from "../../src/drill/amcheck.js";
import type { Fingerprints } from "../../src/drill/fingerprint.js";
import type { ArchiveWait } from "../../src/drill/archive-point.js";
import type { DrillCheck, DrillCheckStatus } from "../../src/drill/report.js";
import type { DrillScratch } from "../../src/drill/scratch.js";
import type { OsUser } from "../../src/pg/os-user.js";
import type { Storage } from "../../src/storage/storage.js";

/** Inputs of one drill. */
export interface DrillRequest {
  readonly config: ZopsConfig;
  readonly configPath: string;
  readonly storage: Storage;
  readonly backup: string;
  readonly keep: boolean;
  /** age identity file: decrypt the secrets archive (without it, only its integrity is checked). */
  readonly identityFile: string | undefined;
  readonly timeoutMs: number;
  /** How long to wait for the fingerprint point's archiving after a forced switch (default DEFAULT_ARCHIVE_WAIT). */
  readonly archiveWait?: ArchiveWait;
  /** Sleeps between looks at the archive (injected by tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the drill steps share. */
export interface DrillContext {
  readonly started: number;
  manifest?: BackupManifest;
  fingerprints?: Fingerprints;
  scratch?: DrillScratch;
  binDir?: string;
  /** How the restored cluster is checked (decided before restoring: a missing tool refuses the drill up front). */
  amcheck?: AmcheckPlan;
  runAs?: OsUser;
  /** True once PostgreSQL was started on the scratch directory (it must be stopped at the end). */
  serverStarted: boolean;
  /** Why the drill refused before restoring (no backup, a missing tool): nothing after that step runs. */
  refused?: string;
  /** False once a step left the restored cluster unusable: later steps that need it are skipped. */
  clusterUsable: boolean;
  downloadMs: number;
  replayMs: number;
  firstQueryMs: number;
  /** Time from drill start until the first query was answered (RTO total). */
  readyMs?: number;
  reachedLsn?: string;
  newestArchivedSegment?: string;
  /** Looks at the archive the fingerprint step made before the point was archived (or it gave up). */
  archiveLooks?: number;
  lastTransactionAt?: string;
  rpoSeconds?: number;
  checks: DrillCheck[];
}

/** Records the outcome of one check (in the order checks complete). */
export const recordCheck = (ctx: DrillContext, name: string, status: DrillCheckStatus, message: string): void => {
  ctx.checks.push({ name, status, message });
};
