import { execa } from "execa";

/**
 * Runs `promtool check metrics` (Debian package `prometheus`, installed by .ci/run) on a Prometheus text exposition and
 * returns its complaints, one per line; empty when the text lints clean. Throws when promtool is missing: in CI that
 * is a failure, never a skip.
 */
export const promtoolProblems = async (text: string): Promise<string[]> => {
  const result = await execa("promtool", ["check", "metrics"], {
    input: text.endsWith("\n") ? text : `${text}\n`,
    reject: false,
  });
  if (result.exitCode === 0) return [];
  if (result.exitCode === undefined)
    throw new Error(`promtool did not run (${result.message}): apt-get install prometheus (.ci/run does it)`);
  return `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
};
