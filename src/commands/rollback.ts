import { appDatabase } from "../deploy/database.js";
import { readDeploymentManifest, readLinks } from "../deploy/deployments.js";
import { appliedMigrations, listMigrationFiles } from "../deploy/migrations.js";
import { deployPaths } from "../deploy/paths.js";
import { openRunLog } from "../deploy/run-log.js";
import { ZopsError, messageOf } from "../errors/index.js";
import { acquireLock } from "../lock/lock-file.js";
import { createTasks } from "../ui/run-tasks.js";
import { formatDuration } from "../ui/output.js";
import type { CommandResult, GlobalOptions } from "./command.js";
import type { ZopsConfig } from "../config/index.js";
import { readJournal, removeJournal } from "../deploy/journal.js";
import { rollbackTasks, type RollbackContext } from "../../tasks/upgrade/rollback.js";
import { undoRecords } from "../../tasks/upgrade/undo.js";
import { loadCommandConfig } from "./load-config.js";
import { join } from "node:path";
import type { CommandMeta } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";

/** The deploy lock, like upgrade. */
export const meta: CommandMeta = { lock: "deploy", exits: STANDARD_EXITS };

/**
 * `zops rollback`: switch current back to last, restart, health-check; an interrupted upgrade is rolled back instead.
 * The database is not reverted (a warning names newer migrations).
 */
export const runRollback = async (
  globals: GlobalOptions,
  _flags: Record<string, unknown> = {},
  deps: { config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const paths = deployPaths(config.deploy);
  const log = openRunLog(paths.log, `rollback[${process.pid}]`);
  const lock = await acquireLock(paths.lock, "zops rollback");
  try {
    const notes: string[] = [];
    if (lock.recoveredFrom)
      notes.push(
        `recovered a stale lock of '${lock.recoveredFrom.command}' (pid ` +
          `${lock.recoveredFrom.pid}, since ` +
          `${lock.recoveredFrom.startedAt})`,
      );
    const journal = await readJournal(paths.journal);
    if (journal) {
      const problems = await undoRecords(journal.undo, {
        config,
        paths,
        fromVersion: journal.fromVersion,
        toVersion: journal.toVersion,
        report: (line) => log.write(line),
      });
      if (problems.length)
        throw new ZopsError(
          "ROLLBACK_FAILED",
          `could not roll back the interrupted upgrade to ${journal.toVersion}:\n  ${problems.join("\n  ")}`,
        );
      await removeJournal(paths.journal);
      const text = [
        ...notes,
        `rolled back the interrupted upgrade ` +
          `${journal.fromVersion ?? "(none)"} -> ${journal.toVersion} (pid ` +
          `${journal.pid}, started ${journal.startedAt})`,
      ].join("\n");
      log.write(text);
      return { text, json: { ok: true, recovered: journal } };
    }
    const links = await readLinks(paths);
    if (!links.current || !links.last)
      throw new ZopsError(
        "NOT_FOUND",
        `no deployment to roll back to: ${!links.current ? "current" : "last"} is not set under ${paths.deployments}`,
        { hint: "`zops deployments` lists what exists" },
      );
    const from = await readDeploymentManifest(links.current);
    const to = await readDeploymentManifest(links.last);
    if (!from || !to)
      throw new ZopsError(
        "NOT_FOUND",
        `deployment ${!from ? links.current : links.last} has no readable release manifest`,
      );
    if (to.migrations) {
      const shipped = new Set((await listMigrationFiles(join(links.last, to.migrations))).map((file) => file.name));
      const newer = (
        await appliedMigrations(appDatabase(config), config.deploy.database.migrationsTable).catch(() => [])
      ).filter((name) => !shipped.has(name));
      if (newer.length)
        notes.push(
          `warning: the database keeps migrations of ${from.version} that ` +
            `${to.version} does not know (${newer.join(", ")}); zops ` +
            `rollback does not revert the database`,
        );
    }
    const ctx: RollbackContext = {
      config,
      paths,
      log,
      links: { ...links, current: links.current, last: links.last },
      from,
      to,
    };
    log.write(`zops rollback ${from.version} -> ${to.version}`);
    try {
      await createTasks(rollbackTasks(), globals).run(ctx);
    } catch (error) {
      if (ctx.undone?.ok)
        throw new ZopsError(
          "ROLLED_BACK",
          `rollback to ${to.version} failed and ${from.version} runs again: ${messageOf(error)}`,
        );
      if (ctx.undone)
        throw new ZopsError(
          "ROLLBACK_FAILED",
          `rollback to ${to.version} failed (${messageOf(error)}) and ` +
            `could not be undone:\n  ${ctx.undone.problems.join("\n  ")}`,
        );
      throw error;
    }
    const downtime =
      ctx.healthyAt !== undefined && ctx.stoppedAt !== undefined
        ? Math.round(ctx.healthyAt - ctx.stoppedAt)
        : undefined;
    const text = [
      `rolled back ${from.name} ${from.version} -> ${to.version}`,
      `downtime: ${downtime === undefined ? "n/a" : formatDuration(downtime)} (stop to healthy)`,
      ...notes,
    ].join("\n");
    log.write(text);
    return { text, json: { ok: true, from: from.version, to: to.version, downtimeMs: downtime, notes } };
  } finally {
    await lock.release();
  }
};
