import type { ZopsConfig } from "../config/schema.js";
import { deployPaths } from "../deploy/paths.js";
import { pausePoint } from "../fault/crash-point.js";
import { acquireCommandLock, type LockKind } from "../lock/command-lock.js";
import type { HeldLock } from "../lock/lock-file.js";
import { repositoryLockPath } from "../lock/repository-lock.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { failureStatus, resultStatus } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

// The one runner: takes the lock a command declares, runs it, and maps how it ended to an exit status through the
// command's declared exits. src/cli.ts only parses and prints; it names no command.

/** A command as the runner sees it: its declaration and its `run…` function. */
export interface RunnableCommand {
  readonly meta: CommandMeta;
  // Each command has its own positional arguments and options.
  readonly run: (globals: GlobalOptions, ...args: any[]) => Promise<CommandResult>;
}

/** One call of a command. */
export interface Invocation {
  /** The command's name as typed ("repo init"). */
  readonly name: string;
  readonly globals: GlobalOptions;
  /** Positional arguments, then the options object (commander's order). */
  readonly args: readonly unknown[];
  /** The command line as typed, recorded in the lock for other processes to see; default: name and arguments. */
  readonly commandLine?: string;
  /** The configuration, when the caller already has it (tests); else loaded when the lock needs it. */
  readonly config?: ZopsConfig;
}

/**
 * How a command ended: its exit status, and its result or the error it threw (with `normalEnd`, the line its exit
 * policy prints instead of an ERROR when that failure is a normal ending).
 */
export type Ending =
  | { readonly status: number; readonly result: CommandResult; readonly error?: undefined }
  | { readonly status: number; readonly error: unknown; readonly result?: undefined; readonly normalEnd?: string };

/** The lock kind a command declares for these options. Pure. */
export const lockKindOf = (meta: CommandMeta, args: readonly unknown[]): LockKind => {
  if (typeof meta.lock === "string") return meta.lock;
  const options = args.at(-1);
  return meta.lock(typeof options === "object" && options !== null ? (options as Record<string, unknown>) : {});
};

/**
 * Runs a command under the lock it declares (released however it ends) and returns its exit status with the result
 * or the error. Never throws.
 */
export const runCommand = async (command: RunnableCommand, invocation: Invocation): Promise<Ending> => {
  let lock: HeldLock | undefined;
  try {
    const kind = lockKindOf(command.meta, invocation.args);
    if (kind !== "none") {
      const config = invocation.config ?? (await loadCommandConfig(invocation.globals)).config;
      const positional = invocation.args.filter((arg) => typeof arg === "string");
      lock = await acquireCommandLock(kind, {
        command: invocation.commandLine ?? ["zops", invocation.name, ...positional].join(" "),
        repositoryLock: repositoryLockPath(config),
        deployLock: deployPaths(config.deploy).lock,
      });
    }
    await pausePoint(`${invocation.name.replace(/ /g, "-")}.locked`);
    const result = await command.run(invocation.globals, ...invocation.args);
    return { status: resultStatus(command.meta.exits, result), result };
  } catch (error) {
    const normalEnd = command.meta.exits.normalEnd?.(error);
    return { status: failureStatus(command.meta.exits, error), error, ...(normalEnd ? { normalEnd } : {}) };
  } finally {
    await lock?.release().catch(() => undefined);
  }
};
