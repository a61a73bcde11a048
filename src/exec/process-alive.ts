import { readFileSync } from "node:fs";

/**
 * When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid it names one
 * process, even after the pid is reused. Undefined where /proc is not available or the process is gone.
 */
export const processStartTime = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
};

/**
 * True when process `pid` exists on this host (EPERM means it exists but belongs to another user) and, when
 * `startTime` is given and /proc can tell, is the process that started then, not a later one reusing the pid.
 */
export const isProcessAlive = (pid: number, startTime?: string): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (startTime === undefined) return true;
  const actual = processStartTime(pid);
  return actual === undefined || actual === startTime;
};
