import { ZopsError } from "../errors/index.js";

// One overall deadline per archive call (wal.deadlineSeconds). PostgreSQL retries archive_command and
// restore_command itself, while `pg_ctl stop` and systemd wait for the archiver: a call that lives minutes against a
// stalled endpoint turns an S3 stall into a stuck shutdown. Retries happen inside the deadline, never past it.

/** What a call that hit its deadline reports (in the error's details, and so in `--json`). */
export interface DeadlineDetails {
  readonly deadlineMs: number;
  /** Storage attempts made before the deadline (each try of each operation, retries included). */
  readonly attempts: number;
}

/**
 * Runs `work` with a signal that aborts at `deadlineMs`; rejects at the deadline with STORAGE_UNREACHABLE naming `what`
 * and the deadline (details: DeadlineDetails with `attempts()`), even when `work` does not react to the signal.
 * @throws STORAGE_UNREACHABLE at the deadline; otherwise what `work` throws.
 */
export const withDeadline = async <T>(
  deadlineMs: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  attempts: () => number = () => 0,
): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const details: DeadlineDetails = { deadlineMs, attempts: attempts() };
      const error = new ZopsError(
        "STORAGE_UNREACHABLE",
        `${what} did not finish within its ${deadlineMs / 1000} s deadline (wal.deadlineSeconds); ` +
          `${details.attempts} storage attempts`,
        {
          hint:
            "the repository did not answer in time; PostgreSQL retries the file. Check the endpoint, or raise " +
            "wal.deadlineSeconds (keep it well under pg_ctl's and systemd's stop timeouts)",
          details: { ...details },
        },
      );
      controller.abort(error);
      reject(error);
    }, deadlineMs);
  });
  expired.catch(() => undefined);
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Ends this process with `exitCode` if it is still running `graceMs` after `deadlineMs` (a hung socket can keep Node's
 * event loop alive after the call gave up). The timer does not keep the process alive by itself.
 */
export const exitAfterDeadline = (deadlineMs: number, graceMs: number, exitCode: number, what: string): void => {
  setTimeout(() => {
    process.stderr.write(`zops ${what}: still running ${graceMs} ms after its deadline: exiting\n`);
    process.exit(exitCode);
  }, deadlineMs + graceMs).unref();
};
