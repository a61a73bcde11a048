import { makeProbeScope, PROBES } from "../../tasks/repo/check-probes.js";
import { cleanupTask, probeTask, type ProbeResult, type RepoCheckContext } from "../../tasks/repo/check.js";
import { userInfo } from "node:os";
import { ZopsError } from "../errors/index.js";
import { lookupOsUser } from "../pg/os-user.js";
import { checkAsArchivingUser, fileRepositoryRoot } from "../repo/archiving-user.js";
import { openStorage } from "../storage/open.js";
import { createTasks } from "../ui/run-tasks.js";
import { formatDuration, formatTable } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import { loadCommandConfig } from "./load-config.js";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

const render = (location: string, results: readonly ProbeResult[], cleanupError: string | undefined): string => {
  const rows = results.map((result) => [
    result.operation,
    result.status === "ok"
      ? "ok"
      : result.status === "skipped"
        ? "skipped"
        : result.required
          ? "FAILED"
          : "failed (optional)",
    result.status === "skipped" ? "" : formatDuration(result.ms),
    result.detail,
  ]);
  const hints = [...new Set(results.flatMap((result) => (result.error?.hint ? [`HINT: ${result.error.hint}`] : [])))];
  return [
    `repository storage ${location}`,
    formatTable([["OPERATION", "RESULT", "TIME", "DETAIL"], ...rows]),
    ...(cleanupError ? [`WARNING: could not remove the test objects: ${cleanupError}`] : []),
    ...hints,
  ].join("\n");
};

/** No lock: works under a scratch prefix; ends with the code of the first failed required operation. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

// The row proving archive_command's user can use the repository: run as that user when we are root, skipped (saying
// how to test it) when we are another user.
const archivingUserResult = async (configPath: string, url: string, osUser: string): Promise<ProbeResult> => {
  const row = { id: "archiving-user", operation: `as ${osUser} (archive_command)`, required: true };
  if (userInfo().username === osUser) return { ...row, status: "ok", ms: 0, detail: `running as ${osUser}` };
  if (process.getuid?.() !== 0)
    return { ...row, status: "skipped", ms: 0, detail: `run repo check as root or as ${osUser} to test its access` };
  const started = performance.now();
  try {
    const detail = await checkAsArchivingUser(configPath, fileRepositoryRoot(url), await lookupOsUser(osUser));
    return { ...row, status: "ok", ms: performance.now() - started, detail };
  } catch (error) {
    const zops = error instanceof ZopsError ? error : new ZopsError("PRECONDITION", String(error));
    return { ...row, status: "failed", ms: performance.now() - started, detail: zops.message, error: zops };
  }
};

/**
 * `zops repo check`: exercises put, get, range, stat, list, large/multipart, overwrite, missing key and delete under a
 * scratch prefix (removed afterwards); read-only for repository data. Exit 0 when every required operation works, else
 * the exit code of the first failure (6 for storage errors). As root it also tries as postgres.osUser (reading the
 * config, writing in a file repository), since that is who runs wal-push.
 */
export const runRepoCheck = async (globals: GlobalOptions): Promise<CommandResult> => {
  const { config, path } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  const ctx: RepoCheckContext = { scope: makeProbeScope(storage), results: [] };
  let cleanupError: string | undefined;
  try {
    await createTasks<RepoCheckContext>(PROBES.map(probeTask), globals, { exitOnError: false }).run(ctx);
    await createTasks<RepoCheckContext>([cleanupTask()], globals)
      .run(ctx)
      .catch((error: unknown) => {
        cleanupError = error instanceof Error ? error.message : String(error);
      });
  } finally {
    await storage.close?.();
  }
  ctx.results.push(await archivingUserResult(path, config.repository.url, config.postgres.osUser));
  const failed = ctx.results.find((result) => result.status === "failed" && result.required);
  return {
    outcome: failed ? (failed.error?.code ?? "INTERNAL") : "ok",
    text: render(storage.location, ctx.results, cleanupError),
    json: {
      ok: !failed,
      location: storage.location,
      capabilities: storage.capabilities,
      results: ctx.results.map(({ error, ...result }) => ({
        ...result,
        ms: Math.round(result.ms),
        ...(error ? { error: { code: error.code, message: error.message, hint: error.hint } } : {}),
      })),
      ...(cleanupError ? { cleanupError } : {}),
    },
  };
};
