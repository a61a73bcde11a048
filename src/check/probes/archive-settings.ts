import type { Probe } from "../probe.js";

/** archive_mode is on and archive_command runs `zops ... wal-push` (and no archive_library overrides it). */
export const archiveSettingsProbe: Probe = async (context) => {
  const [row] = await context.query<{ mode: string; command: string; library: string | null }>(
    "select current_setting('archive_mode') as mode, " +
      "current_setting('archive_command') as command, " +
      "current_setting('archive_library', true) as library",
  );
  const mode = row?.mode ?? "";
  const command = row?.command ?? "";
  const problems: string[] = [];
  if (mode !== "on" && mode !== "always") problems.push(`archive_mode is '${mode}' (needs on, and a restart)`);
  if (row?.library) problems.push(`archive_library '${row.library}' is set, so archive_command is ignored`);
  if (!/\bzops\b|zops\.js/.test(command) || !/\bwal-push\b/.test(command))
    problems.push(`archive_command '${command}' does not run zops wal-push (see templates/postgresql.conf)`);
  return {
    name: "archive-settings",
    status: problems.length > 0 ? "critical" : "ok",
    message: problems.length > 0 ? problems.join("; ") : `archive_mode=${mode}, archive_command runs zops wal-push`,
    metrics: { archive_configured: problems.length > 0 ? 0 : 1 },
  };
};
