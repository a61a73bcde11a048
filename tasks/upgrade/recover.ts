import { rm } from "node:fs/promises";
import type { ListrTask } from "listr2";
import { readJournal, resumeJournal, sessionTag } from "../../src/deploy/journal.js";
import { removeRestorePoints } from "../../src/deploy/restore-point.js";
import { readSymlink } from "../../src/deploy/symlink.js";
import { undoJournal } from "../../src/deploy/undo.js";
import { ZopsError } from "../../src/errors/index.js";
import type { DeployRun } from "./context.js";
import { say, step } from "./step.js";

// With no journal left, nothing is in flight (the caller holds the deploy lock): a `next` equal to `current`, the
// restore points and the staging directories are what a killed run left behind.
const cleanSpent = async (ctx: DeployRun): Promise<string[]> => {
  const cleaned: string[] = [];
  const next = await readSymlink(ctx.paths.next);
  if (next !== undefined && next === (await readSymlink(ctx.paths.current))) {
    await rm(ctx.paths.next, { force: true });
    cleaned.push("next (pointed at current)");
  }
  const dumps = await removeRestorePoints(ctx.paths.restorePoints);
  if (dumps.length) cleaned.push(`restore point(s) ${dumps.join(", ")}`);
  await rm(ctx.paths.staging, { recursive: true, force: true });
  return cleaned;
};

/**
 * Task: resume the rollback of a run that was killed in its critical section (its journal is still there), from the
 * journal alone, then clean what it left (next, restore points, staging). Plan mode only reports it.
 * @throws ROLLBACK_FAILED when a step cannot be undone (the journal is kept)
 */
export const recoverTask = <C extends DeployRun>(): ListrTask<C, any, any> =>
  step<C>({
    title: "Recover an interrupted run",
    run: async (ctx, task) => {
      const journal = await readJournal(ctx.paths.journal);
      if (!journal) {
        if (ctx.planOnly) return say(ctx, task, "none");
        const cleaned = await cleanSpent(ctx);
        return say(ctx, task, cleaned.length ? `none; removed ${cleaned.join(", ")}` : "none");
      }
      const what =
        `${journal.command} ${journal.fromVersion ?? "(none)"} -> ${journal.toVersion} (pid ${journal.pid} on ` +
        `${journal.host}, started ${journal.startedAt}) was interrupted in its critical section`;
      if (ctx.planOnly) {
        ctx.notes.push(`${what}: it will be rolled back first`);
        return say(ctx, task, `${what}: it will be rolled back first`);
      }
      say(ctx, task, `${what}: rolling it back`);
      const writer = resumeJournal(ctx.paths.journal, journal);
      const problems = await undoJournal({
        config: ctx.config,
        paths: ctx.paths,
        journal: writer,
        tag: sessionTag(ctx.runId),
        crashPrefix: `${ctx.command}.recover`,
        report: (line) => say(ctx, task, line),
      });
      if (problems.length > 0)
        throw new ZopsError(
          "ROLLBACK_FAILED",
          `could not roll back the interrupted ${what}:\n  ${problems.join("\n  ")}`,
          {
            hint: `fix the cause, then run \`zops rollback\` again (the journal ${ctx.paths.journal} is kept)`,
          },
        );
      await writer.close();
      const cleaned = await cleanSpent(ctx);
      ctx.recovered =
        `${journal.command} ${journal.fromVersion ?? "(none)"} -> ${journal.toVersion} ` +
        `(pid ${journal.pid}, started ${journal.startedAt})`;
      ctx.notes.push(`${what}: rolled back to ${journal.fromVersion ?? "nothing"}`);
      if (cleaned.length) say(ctx, task, `removed ${cleaned.join(", ")}`);
    },
  });
