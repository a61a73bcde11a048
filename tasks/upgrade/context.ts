import type { ZopsConfig } from "../../src/config/index.js";
import type { BackupCatalog, BackupFreshness } from "../../src/deploy/backup-freshness.js";
import type { ConfigChange } from "../../src/deploy/config-plan.js";
import type { Links } from "../../src/deploy/deployments.js";
import type { ConfigPolicy } from "../../src/deploy/drift.js";
import type { JournalWriter } from "../../src/deploy/journal.js";
import type { MigrationFile } from "../../src/deploy/migrations.js";
import type { DeployPaths } from "../../src/deploy/paths.js";
import type { ReleaseManifest } from "../../src/deploy/release-manifest.js";
import type { RunLog } from "../../src/deploy/run-log.js";
import type { TarballSummary } from "../../src/deploy/tarball-inspect.js";
import type { HeldLock } from "../../src/lock/lock-file.js";

/** Command-line options of `zops upgrade`. */
export interface UpgradeOptions {
  readonly plan: boolean;
  readonly yes: boolean;
  readonly configPolicy: ConfigPolicy;
  readonly skipMigrations: boolean;
  readonly restart: boolean;
  readonly allowDowngrade: boolean;
}

/** A step's measured duration, for the report. */
export interface StepTiming {
  readonly title: string;
  readonly ms: number;
}

/** Everything the upgrade graph learns and does; filled step by step. */
export interface UpgradeContext {
  readonly tarball: string;
  readonly config: ZopsConfig;
  readonly paths: DeployPaths;
  readonly options: UpgradeOptions;
  readonly log: RunLog;
  readonly catalog: BackupCatalog;
  lock?: HeldLock;
  /** Messages for the operator (stale lock recovered, interrupted upgrade undone, backup warning...). */
  notes: string[];
  /** Reasons the upgrade cannot go ahead (plan exit 4, upgrade refused before the stop). */
  blockers: string[];
  summary?: TarballSummary;
  manifest?: ReleaseManifest;
  links?: Links;
  currentManifest?: ReleaseManifest;
  deploymentName?: string;
  deploymentPath?: string;
  previousNext?: string | undefined;
  configChanges: ConfigChange[];
  migrations: MigrationFile[];
  pendingMigrations: string[];
  irreversible: string[];
  diskNeeded?: number;
  diskFree?: number;
  backup?: BackupFreshness;
  journal?: JournalWriter;
  ranMigrations: string[];
  timings: StepTiming[];
  stoppedAt?: number;
  healthyAt?: number;
  /** Set by the critical section's rollback: whether every undo step succeeded. */
  rollback?: { ok: boolean; problems: string[]; failure: string };
  purged: string[];
  restorePoint?: string;
}
