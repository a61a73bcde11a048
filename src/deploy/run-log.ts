import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** The upgrade log: every line of every run, with a UTC timestamp and the run's label. */
export interface RunLog {
  readonly path: string;
  write(line: string): void;
}

/**
 * Opens (appends to) the log file at `path`; writes are synchronous so a SIGKILL loses at most the line being written;
 * a log that cannot be written never fails the run.
 */
export const openRunLog = (path: string, label: string): RunLog => {
  let broken = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch {
    broken = true;
  }
  return {
    path,
    write: (line: string) => {
      if (broken) return;
      const stamp = new Date().toISOString();
      const text = line
        .split("\n")
        .map((part) => `${stamp} ${label}: ${part}`)
        .join("\n");
      try {
        appendFileSync(path, `${text}\n`, { mode: 0o640 });
      } catch {
        broken = true;
      }
    },
  };
};
