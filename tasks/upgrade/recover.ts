import type { ListrTask } from "listr2";
import { readJournal, removeJournal } from "../../src/deploy/journal.js";
import { ZopsError } from "../../src/errors/index.js";
import type { UpgradeContext } from "./context.js";
import { say, step } from "./step.js";
import { undoRecords } from "./undo.js";

/** Task: undo the critical section of an upgrade that was killed (its journal is still there), before anything else. */
export const recoverTask = (): ListrTask<UpgradeContext, any, any> =>
  step({
    title: "Recover an interrupted upgrade",
    run: async (ctx, task) => {
      const journal = await readJournal(ctx.paths.journal);
      if (!journal) return say(ctx, task, "none");
      const what =
        `upgrade ${journal.fromVersion ?? "(none)"} -> ` +
        `${journal.toVersion} (pid ${journal.pid} on ${journal.host}, ` +
        `started ${journal.startedAt}) was interrupted in its critical section`;
      if (ctx.options.plan) {
        ctx.notes.push(`${what}: it will be rolled back first`);
        return say(ctx, task, `${what}: it will be rolled back first`);
      }
      say(ctx, task, `${what}: rolling it back`);
      const problems = await undoRecords(journal.undo, {
        config: ctx.config,
        paths: ctx.paths,
        fromVersion: journal.fromVersion,
        toVersion: journal.toVersion,
        report: (line) => say(ctx, task, line),
      });
      if (problems.length > 0) {
        throw new ZopsError(
          "ROLLBACK_FAILED",
          `could not roll back the interrupted ${what}:\n  ${problems.join("\n  ")}`,
          { hint: `fix the cause, then run the upgrade again (the journal ${ctx.paths.journal} is kept)` },
        );
      }
      await removeJournal(ctx.paths.journal);
      ctx.notes.push(`${what}: rolled back to ${journal.fromVersion ?? "nothing"}`);
    },
  });
