import { ERROR_CODES, isZopsError, messageOf, type ErrorCode } from "../errors/index.js";
import type { CommandResult, ExitPolicy } from "./command.js";

/** The registry's statuses only: 0 on success, each error code's own status on failure. */
export const STANDARD_EXITS: ExitPolicy = {};

/**
 * restore_command's contract: 1 only when the segment is not in the archive (the normal end of recovery), 128 for
 * any other failure, usage errors included, so PostgreSQL stops recovery instead of ending it early.
 */
export const RESTORE_COMMAND_EXITS: ExitPolicy = {
  help:
    "wal-fetch: 1 = segment not in the archive (normal end of recovery); 128 = any other failure, usage errors " +
    "included, so PostgreSQL stops recovery instead of ending it early.",
  failure: (error) => (isZopsError(error, "STORAGE_NOT_FOUND") ? 1 : 128),
  usage: 128,
  normalEnd: (error) =>
    isZopsError(error, "STORAGE_NOT_FOUND") ? `LOG: ${messageOf(error)} (the normal end of recovery)` : undefined,
};

/** The Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, also for errors and usage errors. */
export const NAGIOS_EXITS: ExitPolicy = {
  help:
    "check: Nagios convention, 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for errors and usage errors); with " +
    "--output FILE, 0 once FILE is written.",
  outcomes: { warning: 1, critical: 2, unknown: 3 },
  failure: () => 3,
  usage: 3,
};

/** A plan: 0 nothing to do, 2 changes planned, 4 blocked; a real run keeps the registry's statuses. */
export const PLAN_EXITS: ExitPolicy = {
  help:
    "upgrade --plan, rollback --plan: 0 nothing to do, 2 changes planned, 4 blocked " +
    "(usage errors are 64, never 2).",
  outcomes: { nothing: 0, planned: 2, blocked: ERROR_CODES.PRECONDITION.exit },
};

/** drift: 0 no drift, 2 a config file drifted (like a plan with changes). */
export const DRIFT_EXITS: ExitPolicy = {
  help: "drift: 0 no drift, 2 a config file drifted.",
  outcomes: { drifted: 2 },
};

/** restore: the registry's statuses; with --plan, 0 when the restore can run and 4 (PRECONDITION) when refused. */
export const RESTORE_PLAN_EXITS: ExitPolicy = {
  help: "restore --plan: 0 the restore can run, 4 refused (no backup for the target, a missing object or segment).",
};

/** Every policy a command uses, in the order `zops --help` lists those with help. */
export const EXIT_POLICIES: readonly ExitPolicy[] = [
  STANDARD_EXITS,
  RESTORE_COMMAND_EXITS,
  NAGIOS_EXITS,
  PLAN_EXITS,
  RESTORE_PLAN_EXITS,
  DRIFT_EXITS,
];

/**
 * The exit status of a command that returned `result`. Pure.
 * An outcome the policy does not declare (a bug in the command) gets INTERNAL's status.
 */
export const resultStatus = (policy: ExitPolicy, result: Pick<CommandResult, "outcome">): number => {
  const outcome = result.outcome ?? "ok";
  if (outcome === "ok") return 0;
  const declared = policy.outcomes?.[outcome];
  if (declared !== undefined) return declared;
  if (outcome in ERROR_CODES) return ERROR_CODES[outcome as ErrorCode].exit;
  return ERROR_CODES.INTERNAL.exit;
};

/** The exit status of a command that threw `error`. Pure. */
export const failureStatus = (policy: ExitPolicy, error: unknown): number =>
  policy.failure ? policy.failure(error) : isZopsError(error) ? error.exitCode : ERROR_CODES.INTERNAL.exit;

/** The exit status of a command-line usage error. Pure. */
export const usageStatus = (policy: ExitPolicy | undefined): number => policy?.usage ?? ERROR_CODES.USAGE.exit;
