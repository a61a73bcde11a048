import { resolve } from "node:path";
import { ZopsError } from "../errors/index.js";
import { checkTarget as checkRecoveryTarget, parseSettings, type RecoveryTarget } from "../restore/recovery-settings.js";
import { parseTablespaceMap } from "../restore/target-dir.js";
import { openStorage } from "../storage/open.js";
import { formatBytes, formatDuration, type CommandResult, type GlobalOptions } from "../ui/output.js";
import { createTasks } from "../ui/run-tasks.js";
import { databaseRestoreTask, describeTarget, type DatabaseRestoreContext } from "../../tasks/restore/database.js";
import { loadCommandConfig } from "./context.js";

export interface RestoreOptions {
  readonly to: string;
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
}

type RestoreContext = DatabaseRestoreContext;

// `zops restore`: restores a backup into --to (refusing a non-empty directory unless --delta), writes recovery settings, and with --start replays and proves the target was reached.
export const runRestore = async (globals: GlobalOptions, options: RestoreOptions): Promise<CommandResult> => {
  const target: RecoveryTarget = { time: options.targetTime, lsn: options.targetLsn, name: options.targetName, immediate: options.targetImmediate, action: options.targetAction ?? "promote" };
  checkRecoveryTarget(target);
  const timeoutSeconds = Number(options.timeout ?? 3600);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new ZopsError("USAGE", `--timeout must be a positive number of seconds, got '${options.timeout}'`);
  const { config, path } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  const to = resolve(options.to);
  try {
    const ctx: RestoreContext = { database: {} };
    const started = performance.now();
    const tasks = createTasks<RestoreContext>(
      [
        databaseRestoreTask<RestoreContext>({
          config,
          configPath: resolve(path),
          storage,
          backup: options.backup ?? "latest",
          to,
          delta: options.delta ?? false,
          start: options.start ?? false,
          target,
          archiveMode: options.archiveMode ?? "off",
          settings: parseSettings(options.set),
          tablespaceMap: parseTablespaceMap(options.tablespaceMap),
          timeoutMs: timeoutSeconds * 1000,
        }),
      ],
      globals,
    );
    await tasks.run(ctx);
    const elapsed = performance.now() - started;
    const { manifest, files, recovery } = ctx.database;
    const json = { ok: true, backup: manifest?.id, to, target: describeTarget(target), elapsedMs: Math.round(elapsed), files, recovery };
    const lines = [
      `restored backup ${manifest?.id} into ${to} in ${formatDuration(elapsed)}: ${files?.written} files, ${formatBytes(files?.bytes ?? 0)}${options.delta ? ` (${files?.unchanged} unchanged, ${files?.removed} removed)` : ""}`,
      recovery ? `recovery ${recovery.state}${recovery.replayLsn ? ` at ${recovery.replayLsn}` : ""}${recovery.stoppedAt ? ` (${recovery.stoppedAt})` : ""}` : `recovery configured (${describeTarget(target)}): start PostgreSQL on ${to} to replay`,
    ];
    return { text: lines.join("\n"), json };
  } finally {
    await storage.close?.();
  }
};
