import { resolve } from "node:path";
import type { BackupManifest } from "../backup/manifest.js";
import { describeSkipped } from "../backup/restorable.js";
import { ZopsError, isZopsError } from "../errors/index.js";
import {
  checkTarget as checkRecoveryTarget,
  parseSettings,
  type RecoveryTarget,
} from "../restore/recovery-settings.js";
import { chooseRestore } from "../restore/choose-restore.js";
import { describeRecovery } from "../restore/start-restored.js";
import { openRepository } from "../repo/repository.js";
import { parseTablespaceMap } from "../restore/target-dir.js";
import { dryRunStorage } from "../storage/dry-run.js";
import { openStorage } from "../storage/open.js";
import { formatBytes, formatDuration } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { createTasks } from "../ui/run-tasks.js";
import { databaseRestoreTask, describeTarget, type DatabaseRestoreContext } from "../../tasks/restore/database.js";
import type { SecretsRestoreContext } from "../../tasks/secrets/restore.js";
import type { UploadsRestoreContext } from "../../tasks/uploads/restore.js";
import { restorePlanTasks, type RestorePlanContext } from "../../tasks/restore/plan.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { RESTORE_PLAN_EXITS } from "./exits.js";

export interface RestoreOptions {
  /** Database target directory (optional when only uploads or secrets are restored). */
  readonly to?: string;
  readonly backup?: string;
  readonly targetTime?: string;
  readonly targetLsn?: string;
  readonly targetName?: string;
  readonly targetImmediate?: boolean;
  readonly targetAction?: "promote" | "pause" | "shutdown";
  readonly delta?: boolean;
  readonly start?: boolean;
  readonly set?: string[];
  readonly archiveMode?: "off" | "preserve";
  readonly tablespaceMap?: string[];
  readonly timeout?: string;
  readonly uploadsTo?: string;
  readonly uploadsSnapshot?: string;
  readonly path?: string[];
  readonly secretsTo?: string;
  readonly secretsArchive?: string;
  readonly identity?: string;
  /** Plan only: what would be restored, downloaded and needed; writes nothing. */
  readonly plan?: boolean;
}

type RestoreContext = DatabaseRestoreContext & UploadsRestoreContext & SecretsRestoreContext;

// Checks the combination of parts asked for; throws USAGE naming the missing or stray flag. Pure.
const checkParts = (options: RestoreOptions): void => {
  if (!options.to && !options.uploadsTo && !options.secretsTo)
    throw new ZopsError(
      "USAGE",
      "nothing to restore: give --to DIR (database), --uploads-to DIR and/or --secrets-to DIR",
    );
  if (options.secretsTo && !options.identity && !options.plan)
    throw new ZopsError(
      "USAGE",
      "--secrets-to needs --identity FILE (the age identity whose recipient the archive was encrypted to)",
    );
  if (options.path && !options.uploadsTo)
    throw new ZopsError("USAGE", "--path selects files of the uploads snapshot: give --uploads-to DIR too");
};

/** Reads the repository: expire deletes nothing meanwhile. */
export const meta: CommandMeta = { lock: "repo-read", exits: RESTORE_PLAN_EXITS };

/**
 * `zops restore`: restores a backup into --to (refusing a non-empty directory unless --delta), writes recovery
 * settings, and with --start replays and proves the target was reached; --uploads-to and --secrets-to restore the file
 * archives (all checksums verified; the first failing part stops the run).
 */
export const runRestore = async (globals: GlobalOptions, options: RestoreOptions): Promise<CommandResult> => {
  checkParts(options);
  const target: RecoveryTarget = {
    time: options.targetTime,
    lsn: options.targetLsn,
    name: options.targetName,
    immediate: options.targetImmediate,
    action: options.targetAction ?? "promote",
  };
  checkRecoveryTarget(target);
  if (options.plan) return runRestorePlan(globals, options, target);
  const timeoutSeconds = Number(options.timeout ?? 3600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new ZopsError("USAGE", `--timeout must be a positive number of seconds, got '${options.timeout}'`);
  const { config, path } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  const to = options.to ? resolve(options.to) : undefined;
  try {
    await openRepository(storage);
    // One choice for every part: the backup consistent at or before the target, and the file archives taken at or
    // before it (read-only; refuses before anything is written).
    const choice = await chooseRestore(storage, target, {
      database: to !== undefined,
      backup: options.backup,
      uploads: options.uploadsTo ? (options.uploadsSnapshot ?? true) : false,
      secrets: options.secretsTo ? (options.secretsArchive ?? true) : false,
    });
    const ctx: RestoreContext = { database: {} };
    const started = performance.now();
    const tasks = createTasks<RestoreContext>(
      [
        ...(to
          ? [
              databaseRestoreTask<RestoreContext>({
                config,
                configPath: resolve(path),
                storage,
                manifest: choice.manifest as BackupManifest,
                skipped: choice.skipped,
                point: choice.point,
                to,
                delta: options.delta ?? false,
                start: options.start ?? false,
                target,
                archiveMode: options.archiveMode ?? "off",
                settings: parseSettings(options.set),
                tablespaceMap: parseTablespaceMap(options.tablespaceMap),
                timeoutMs: timeoutSeconds * 1000,
              }),
            ]
          : []),
        // tar and age-encryption load only when these parts are asked for (a database restore stays lean).
        ...(options.uploadsTo
          ? [
              (await import("../../tasks/uploads/restore.js")).restoreUploadsTask<RestoreContext>(storage, {
                snapshot: choice.uploadsSnapshot ?? "latest",
                targetDir: resolve(options.uploadsTo),
                paths: options.path,
              }),
            ]
          : []),
        ...(options.secretsTo && options.identity
          ? [
              (await import("../../tasks/secrets/restore.js")).restoreSecretsTask<RestoreContext>(storage, {
                archive: choice.secretsArchive ?? "latest",
                targetDir: resolve(options.secretsTo),
                identityFile: resolve(options.identity),
              }),
            ]
          : []),
      ],
      globals,
    );
    await tasks.run(ctx);
    const elapsed = performance.now() - started;
    const { manifest, skipped, files, recovery } = ctx.database;
    const uploads = ctx.uploadsRestore?.result;
    const secrets = ctx.secretsRestore?.result;
    const json = {
      ok: true,
      ...(to
        ? { backup: manifest?.id, skipped: skipped ?? [], to, target: describeTarget(target), files, recovery }
        : {}),
      ...(uploads
        ? { uploads: { snapshot: uploads.id, to: options.uploadsTo, files: uploads.files, bytes: uploads.bytes } }
        : {}),
      ...(secrets ? { secrets: { archive: secrets.id, to: options.secretsTo, files: secrets.files.length } } : {}),
      elapsedMs: Math.round(elapsed),
    };
    const lines: string[] = [];
    if (to) {
      lines.push(
        `restored backup ${manifest?.id} into ${to} in ${formatDuration(elapsed)}: ${files?.written} files, ` +
          formatBytes(files?.bytes ?? 0) +
          (options.delta ? ` (${files?.unchanged} unchanged, ${files?.removed} removed)` : "") +
          describeSkipped(skipped),
        recovery
          ? `recovery ${describeRecovery(recovery)}`
          : `recovery configured (${describeTarget(target)}): start PostgreSQL on ${to} to replay`,
      );
    }
    if (uploads)
      lines.push(
        `restored uploads snapshot ${uploads.id} under ` +
          `${options.uploadsTo}: ${uploads.files} files, ` +
          `${formatBytes(uploads.bytes)}, every checksum verified`,
      );
    if (secrets)
      lines.push(
        `restored secrets archive ${secrets.id} under ${options.secretsTo}: ${secrets.files.length} files, mode 0600`,
      );
    return { text: lines.join("\n"), json };
  } finally {
    await storage.close?.();
  }
};

/**
 * `zops restore --plan`: which backup, WAL range, bytes to download and disk a restore with these options would use,
 * and whether every object is present; over a storage that refuses writes. Exit 0 when the restore can run,
 * PRECONDITION's status (4) when it would be refused or fail (the reasons are listed).
 */
const runRestorePlan = async (
  globals: GlobalOptions,
  options: RestoreOptions,
  target: RecoveryTarget,
): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = dryRunStorage(await openStorage(config));
  const to = options.to ? resolve(options.to) : undefined;
  const ctx: RestorePlanContext = {};
  try {
    await createTasks<RestorePlanContext>(
      restorePlanTasks<RestorePlanContext>(storage, {
        target,
        to,
        backup: options.backup,
        uploads: options.uploadsTo ? (options.uploadsSnapshot ?? true) : false,
        secrets: options.secretsTo ? (options.secretsArchive ?? true) : false,
        prefetch: config.wal.prefetch,
      }),
      globals,
    ).run(ctx);
  } catch (error) {
    if (!isZopsError(error, "PRECONDITION") && !isZopsError(error, "NOT_FOUND")) throw error;
    const refusal = { code: error.code, message: error.message, hint: error.hint };
    return {
      outcome: "PRECONDITION",
      text: `restore refused: ${error.message}${error.hint ? `\nHINT: ${error.hint}` : ""}`,
      json: { ok: false, refusal },
    };
  } finally {
    await storage.close?.();
  }
  const { plan, choice } = ctx;
  const ok = (plan?.problems.length ?? 0) === 0;
  const lines = plan
    ? [
        `backup ${plan.backup.id} (${plan.backup.type}, chain of ${plan.backup.chain}, PostgreSQL ` +
          `${plan.backup.pgVersion}), consistent at ${plan.backup.consistentAt}${describeSkipped(choice?.skipped)}`,
        `recovery to ${plan.target}`,
        `WAL ${plan.wal.from} - ${plan.wal.through} (${plan.wal.bound}): ${plan.wal.segments} segments, ` +
          formatBytes(plan.wal.bytes),
        `download ${formatBytes(plan.downloadBytes)} (${plan.objects.count} backup objects, ` +
          `${formatBytes(plan.objects.bytes)}); disk needed ${formatBytes(plan.diskNeeded)}` +
          (plan.diskFree !== undefined ? `, free ${formatBytes(plan.diskFree)}` : ""),
      ]
    : [];
  if (choice?.uploadsSnapshot) lines.push(`uploads snapshot ${choice.uploadsSnapshot}`);
  if (choice?.secretsArchive) lines.push(`secrets archive ${choice.secretsArchive}`);
  for (const problem of plan?.problems ?? []) lines.push(`PROBLEM: ${problem}`);
  lines.push(ok ? "the restore can run; nothing was written" : "the restore would fail; nothing was written");
  return {
    outcome: ok ? "ok" : "PRECONDITION",
    text: lines.join("\n"),
    json: {
      ok,
      plan: plan ?? null,
      skipped: choice?.skipped ?? [],
      uploadsSnapshot: choice?.uploadsSnapshot ?? null,
      secretsArchive: choice?.secretsArchive ?? null,
      referenceTime: choice?.referenceTime ?? null,
    },
  };
};
