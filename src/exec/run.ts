import { execa } from "execa";
import { ZopsError, type ErrorCode } from "../errors/index.js";

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  /** false: `env` is the whole environment instead of additions to this process's (default true). */
  readonly extendEnv?: boolean;
  readonly input?: string | Buffer;
  /** Kill the process after this many milliseconds (default: no limit). */
  readonly timeoutMs?: number;
  /** Run as this user and group (zops as root running PostgreSQL tools as postgres). */
  readonly uid?: number;
  readonly gid?: number;
  /** Strings to replace with `***` in any message or log line (passwords, keys). */
  readonly redact?: readonly string[];
  /** Receives each line of stdout and stderr as it arrives (e.g. a Listr task's output). */
  readonly onLine?: (line: string) => void;
  /** Error code thrown on failure (default INTERNAL). */
  readonly errorCode?: ErrorCode;
  /** Hint attached to the failure. */
  readonly hint?: string;
  /** Return failures as results instead of throwing. */
  readonly reject?: boolean;
}

/** Same shape for success and failure, so callers never special-case. */
export interface RunResult {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly failed: boolean;
  readonly timedOut: boolean;
}

/** Replaces every secret in `text` with ***. */
export const redactText = (text: string, secrets: readonly string[] = []): string =>
  secrets.filter((secret) => secret.length > 0).reduce((result, secret) => result.split(secret).join("***"), text);

/**
 * Runs `file` with an argv array (never a shell); throws a ZopsError naming the command, exit and stderr tail unless
 * reject is false.
 */
export const run = async (file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> => {
  const started = performance.now();
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    input: options.input,
    timeout: options.timeoutMs,
    uid: options.uid,
    gid: options.gid,
    reject: false,
    stripFinalNewline: true,
    ...(options.onLine ? { stdout: ["pipe", lineSink(options)], stderr: ["pipe", lineSink(options)] } : {}),
  });
  const result = await subprocess;
  const redact = (text: string) => redactText(text, options.redact);
  const command = redact([file, ...args].join(" "));
  const shaped: RunResult = {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout ?? ""),
    stderr: redact(String(result.stderr ?? "")),
    durationMs: Math.round(performance.now() - started),
    failed: result.failed,
    timedOut: result.timedOut,
  };
  if (!shaped.failed || options.reject === false) return shaped;
  throw new ZopsError(options.errorCode ?? "INTERNAL", describeFailure(shaped, result.message ?? "failed"), {
    hint: options.hint,
    cause: result.cause,
    details: { command },
  });
};

const describeFailure = (result: RunResult, fallback: string): string => {
  const why = result.timedOut
    ? "timed out"
    : result.signal
      ? `killed by ${result.signal}`
      : result.exitCode === undefined
        ? (fallback.split("\n")[0] ?? "failed to start")
        : `exited with ${result.exitCode}`;
  const tail = result.stderr.trim().split("\n").slice(-5).join("\n    ");
  return `command '${result.command}' ${why}${tail ? `:\n    ${tail}` : ""}`;
};

const lineSink = (options: RunOptions) =>
  function* (line: unknown) {
    options.onLine?.(redactText(String(line), options.redact));
    yield line;
  };
