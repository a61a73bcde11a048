import { run } from "../exec/run.js";
import { ZopsError } from "../errors/index.js";

/** A service hook: argv (rendered), run in a deployment directory. */
export interface ServiceCommand {
  readonly argv: readonly string[];
  readonly cwd: string;
}

/**
 * Runs a service hook (stop/start) with ZOPS_* variables in its environment; throws (code) naming the command on
 * failure or timeout.
 */
export const runServiceCommand = async (
  command: ServiceCommand,
  env: Record<string, string>,
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<number> => {
  const [file, ...args] = command.argv;
  if (!file) throw new ZopsError("PRECONDITION", "empty service command");
  const result = await run(file, args, {
    cwd: command.cwd,
    env,
    timeoutMs,
    onLine,
    errorCode: "PRECONDITION",
    hint: "check the service hook (deploy.service or the release manifest's hooks)",
  });
  return result.durationMs;
};

/** How to tell that the service is healthy. */
export interface HealthCheck {
  readonly url?: string | undefined;
  readonly command?: ServiceCommand | undefined;
  readonly deadlineMs: number;
  readonly intervalMs: number;
}

/** Outcome of a health gate. */
export interface HealthResult {
  readonly healthy: boolean;
  readonly elapsedMs: number;
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly lastProblem: string | undefined;
}

const probeOnce = async (check: HealthCheck, remainingMs: number): Promise<string | undefined> => {
  if (check.url) {
    try {
      const response = await fetch(check.url, {
        signal: AbortSignal.timeout(Math.round(Math.max(100, Math.min(remainingMs, 5000)))),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status > 299) return `GET ${check.url} answered HTTP ${response.status}`;
    } catch (error) {
      return `GET ${check.url} failed: ${(error as Error).message}`;
    }
  }
  if (check.command) {
    const [file = "", ...args] = check.command.argv;
    const result = await run(file, args, {
      cwd: check.command.cwd,
      reject: false,
      timeoutMs: Math.round(Math.max(100, Math.min(remainingMs, 10_000))),
    });
    if (result.failed)
      return `health command '${result.command}' ${result.timedOut ? "timed out" : `exited with ${result.exitCode}`}`;
  }
  return undefined;
};

/** One attempt of the health gate, as it happens: its number, elapsed time and why it failed (undefined: healthy). */
export type HealthAttempt = (attempt: number, elapsedMs: number, problem: string | undefined) => void;

/**
 * Polls the health check (HTTP 2xx and/or command exit 0) until it passes or the deadline passes, reporting each
 * attempt to `onAttempt`; never throws.
 */
export const waitHealthy = async (check: HealthCheck, onAttempt?: HealthAttempt): Promise<HealthResult> => {
  const started = performance.now();
  let attempts = 0;
  let lastProblem: string | undefined;
  for (;;) {
    attempts += 1;
    const elapsed = performance.now() - started;
    lastProblem = await probeOnce(check, check.deadlineMs - elapsed);
    const now = performance.now() - started;
    onAttempt?.(attempts, Math.round(now), lastProblem);
    if (lastProblem === undefined) return { healthy: true, elapsedMs: Math.round(now), attempts, lastProblem };
    if (now + check.intervalMs > check.deadlineMs)
      return { healthy: false, elapsedMs: Math.round(now), attempts, lastProblem };
    await new Promise((resolve) => setTimeout(resolve, check.intervalMs));
  }
};
