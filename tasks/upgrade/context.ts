import type { ZopsConfig } from "../../src/config/index.js";
import type { BackupCatalog, BackupFreshness } from "../../src/deploy/backup-freshness.js";
import type { ConfigChange } from "../../src/deploy/config-plan.js";
import type { Links } from "../../src/deploy/deployments.js";
import type { ConfigPolicy } from "../../src/deploy/drift.js";
import type { JournalWriter } from "../../src/deploy/journal.js";
import type { MigrationFile } from "../../src/deploy/migrations.js";
import type { DeployPaths } from "../../src/deploy/paths.js";
import type { ReleaseManifest } from "../../src/deploy/release-manifest.js";
import type { ReleaseSummary } from "../../src/deploy/release/read-release.js";
import type { RunLog } from "../../src/deploy/run-log.js";
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

/** Asks the operator to go ahead (the plan is shown first); false: declined. */
export type Confirm = (plan: string, question: string) => Promise<boolean>;

/** What every deploy graph (upgrade, rollback) shares: config, paths, log, lock, journal, notes, outcome. */
export interface DeployRun {
  readonly config: ZopsConfig;
  readonly paths: DeployPaths;
  readonly log: RunLog;
  /** This run's id: tags its database sessions and names its staging directory. */
  readonly runId: string;
  /** Crash-point prefix: "upgrade" or "rollback". */
  readonly command: "upgrade" | "rollback";
  readonly confirm: Confirm;
  /** --plan: read only, report what would happen. */
  readonly planOnly: boolean;
  /** --yes: do not ask. */
  readonly yes: boolean;
  lock?: HeldLock;
  /** Messages for the operator (stale lock recovered, interrupted upgrade undone, backup warning...). */
  notes: string[];
  /** Reasons the run cannot go ahead (plan exit 4, refused before anything changes). */
  blockers: string[];
  journal?: JournalWriter;
  timings: StepTiming[];
  stoppedAt?: number;
  healthyAt?: number;
  /** The step of the critical section that failed (then every later step is skipped and the rollback runs). */
  failure?: { step: string; error: unknown };
  /** Set by the rollback of the critical section: whether every undo step succeeded. */
  rollback?: { ok: boolean; problems: string[] };
  /** An interrupted run that the recovery step rolled back. */
  recovered?: string;
  /** What the command returns; once set, the remaining groups of the graph are skipped. */
  outcome?: DeployOutcome;
}

/**
 * How a deploy graph ended, as the command returns it: `outcome` undefined for success, or one that PLAN_EXITS
 * declares ("nothing", "planned", "blocked"); the text report; the --json result.
 */
export interface DeployOutcome {
  readonly outcome?: "nothing" | "planned" | "blocked";
  readonly text?: string;
  readonly json?: unknown;
}

/** Everything the upgrade graph learns and does; filled step by step. */
export interface UpgradeContext extends DeployRun {
  readonly command: "upgrade";
  readonly tarball: string;
  readonly options: UpgradeOptions;
  readonly catalog: BackupCatalog;
  /** The private directory the release is unpacked into before consent (under the state directory). */
  staging?: string;
  summary?: ReleaseSummary;
  manifest?: ReleaseManifest;
  links?: Links;
  currentManifest?: ReleaseManifest;
  deploymentName?: string;
  deploymentPath?: string;
  configChanges: ConfigChange[];
  migrations: MigrationFile[];
  pendingMigrations: string[];
  irreversible: string[];
  diskNeeded?: number;
  diskFree?: number;
  backup?: BackupFreshness;
  ranMigrations: string[];
  purged: string[];
  restorePoint?: string;
}
