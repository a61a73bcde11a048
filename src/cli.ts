import { Command, CommanderError, Option } from "commander";
import type { CommandMeta, GlobalOptions } from "./commands/command.js";
import { EXIT_POLICIES, usageStatus } from "./commands/exits.js";
import { runCommand, type Ending, type RunnableCommand } from "./commands/runner.js";
import { ERROR_CODES, ZopsError, messageOf } from "./errors/index.js";
import { endQuietlyOnBrokenPipe } from "./ui/broken-pipe.js";

// Commander wiring only: options and descriptions. Each action lazily imports its command module, so `zops wal-push`
// (started once per WAL segment by PostgreSQL) loads nothing it does not use; the runner (src/commands/runner.ts)
// takes the lock the command declares and maps how it ended to an exit status; this file prints the result or the
// error. It names no command in its logic.

const VERSION = "0.1.0";

const exitCodeHelp = (): string => {
  const rows = new Map<number, string[]>();
  rows.set(0, ["success"]);
  for (const info of Object.values(ERROR_CODES)) rows.set(info.exit, [...(rows.get(info.exit) ?? []), info.summary]);
  const lines = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([exit, texts]) => `  ${String(exit).padStart(3)}  ${texts.join("; ")}`);
  const special = EXIT_POLICIES.flatMap((policy) => (policy.help ? [`  ${policy.help}`] : []));
  return [
    "",
    "Exit status:",
    ...lines,
    "",
    "Commands with statuses of their own:",
    ...special,
    "",
    "With --json, stdout holds one JSON document: " +
      '{"ok", "command", "exitStatus", "outcome"?, "result"} or {"ok": false, "command", "exitStatus", "error"}.',
    "Configuration: --config FILE, else $ZOPS_CONFIG, else /etc/zops/zops.yml (see templates/zops.yml).",
  ].join("\n");
};

/** A command module: its declaration beside its `run…` function. */
type CommandModule = { readonly meta: CommandMeta };
type Loader = () => Promise<RunnableCommand>;
type Execute = (command: Command, load: Loader, args: unknown[]) => Promise<void>;

/** The command's name as typed: "backup", "repo init". Pure. */
const nameOf = (command: Command): string => {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(" ");
};

/** Builds the commander program; `execute` receives each command with its lazy loader; `loaders` records them. */
export const buildProgram = (execute: Execute, loaders: Map<Command, Loader>): Command => {
  const program = new Command("zops")
    .description("Upgrade, back up and prove the restore of a self-hosted PostgreSQL-backed application")
    .version(VERSION, "-V, --version")
    .option("-c, --config <file>", "configuration file (default: $ZOPS_CONFIG or /etc/zops/zops.yml)")
    .option("--json", "print machine-readable JSON results on stdout", false)
    .option("-v, --verbose", "show stack traces and child process output", false)
    .showHelpAfterError("(run with --help for usage)")
    // Set before any subcommand is added: commander copies these settings into each subcommand at creation.
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .addHelpText("after", exitCodeHelp());

  // Sets the lazy action of `command`: `load` imports its module, `pick` names its run function.
  const lazy = <M extends CommandModule>(
    command: Command,
    load: () => Promise<M>,
    pick: (module: M) => RunnableCommand["run"],
  ): Command => {
    const loader: Loader = async () => {
      const module = await load();
      return { meta: module.meta, run: pick(module) };
    };
    loaders.set(command, loader);
    return command.action((...args: unknown[]) => execute(command, loader, args));
  };

  // --- repository (foundation) ---
  const repo = program.command("repo").description("create or test a repository");
  lazy(
    repo.command("init").description("create a repository at repository.url (refuses an existing or foreign location)"),
    () => import("./commands/repo-init.js"),
    (module) => module.runRepoInit,
  );
  lazy(
    repo
      .command("check")
      .description(
        "exercise the storage endpoint (put, get, range, list, multipart, overwrite, delete) and print what works",
      ),
    () => import("./commands/repo-check.js"),
    (module) => module.runRepoCheck,
  );

  // --- WAL (wal-push, wal-fetch, check) ---
  lazy(
    program
      .command("wal-push")
      .description(
        "archive one WAL file (archive_command = 'zops wal-push %p'); a " +
          "background process pushes the other .ready files ahead",
      )
      .argument("<path>", "the WAL file (%p)")
      .option(
        "--force",
        "archive the file even though PostgreSQL has not marked it ready (archive_status/<name>.ready)",
      )
      .option(
        "--replace-partial",
        "replace a stored copy that is provably an unfinished copy of this segment " +
          "(the old one is kept under replaced/)",
      ),
    () => import("./commands/wal-push.js"),
    (module) => module.runWalPush,
  );
  lazy(
    program
      .command("wal-push-ahead", { hidden: true })
      .description("the background pusher that wal-push starts (internal)")
      .argument("<pg_wal>", "the data directory's pg_wal")
      .option("--after <name>", "start pushing once the process that started it has stored this file"),
    () => import("./commands/wal-push-ahead.js"),
    (module) => module.runWalPushAhead,
  );
  lazy(
    program
      .command("wal-fetch")
      .description("restore one WAL file (restore_command = 'zops wal-fetch %f %p'); prefetches the next segments")
      .argument("<segment>", "WAL file name (%f)")
      .argument("<dest>", "where to write it (%p)"),
    () => import("./commands/wal-fetch.js"),
    (module) => module.runWalFetch,
  );
  lazy(
    program
      .command("check")
      .description(
        "monitoring: repository, WAL archiving, backup age, WAL chain, last drill (exit 0/1/2/3, Nagios convention)",
      )
      .addOption(
        new Option("--format <format>", "output format (default text; --json is --format json, not both)").choices([
          "text",
          "json",
          "nagios",
          "prometheus",
        ]),
      )
      .option(
        "--only <checks>",
        "comma-separated checks to run (with the ones they need): postgres, repository, archive-settings, " +
          "archiver, ready-backlog, last-archived, backup-age, wal-chain, drill",
      )
      .option(
        "--output <file>",
        "write the report to FILE atomically (mode 0644) and exit 0 once written: the status is in the file " +
          "(for node_exporter's textfile collector)",
      )
      .option("--archive", "also test archiving: switch WAL (pg_switch_wal) and wait for the segment in the repository")
      .option("--archive-timeout <seconds>", "how long --archive waits for the segment (default 60)"),
    () => import("./commands/check.js"),
    (module) => module.runCheck,
  );

  // --- backups (backup, backups, restore, expire, verify) ---
  lazy(
    program
      .command("backup")
      .description(
        "the nightly job: database base backup, data fingerprints, uploads snapshot, secrets archive, then retention",
      )
      .addOption(
        new Option("--type <type>", "full, or incr (files unchanged since the previous backup are referenced)")
          .choices(["full", "incr"])
          .default("full"),
      )
      .option("--no-uploads", "skip the uploads snapshot")
      .option("--no-secrets", "skip the secrets archive"),
    () => import("./commands/backup.js"),
    (module) => module.runBackup,
  );
  lazy(
    program
      .command("backups")
      .description("list backups, or show one (sizes, LSN range, WAL needed, recovery window)")
      .argument("[backup-id]", "backup to show"),
    () => import("./commands/backups.js"),
    (module) => module.runBackups,
  );
  lazy(
    program
      .command("restore")
      .description(
        "restore a backup into a directory and configure recovery (point-in-time with a target); " +
          "uploads and secrets too",
      )
      .option("--to <dir>", "target data directory (must be empty or absent unless --delta)")
      .option(
        "--backup <id>",
        "backup to restore (default: the newest backup consistent at or before the target; one after it is refused)",
      )
      .option("--target-time <time>", "recover up to this time, with its UTC offset (e.g. '2026-11-23 10:00:00+00')")
      .option("--target-lsn <lsn>", "recover up to this LSN")
      .option("--target-name <name>", "recover up to this restore point (recorded by `zops mark NAME`)")
      .option("--target-immediate", "stop as soon as the backup is consistent")
      .addOption(
        new Option("--target-action <action>", "what PostgreSQL does at the target")
          .choices(["promote", "pause", "shutdown"])
          .default("promote"),
      )
      .option("--delta", "reuse a non-empty target: rewrite only files whose checksum differs, remove the others")
      .option("--start", "start PostgreSQL on the restored directory and wait until recovery completes")
      .option(
        "--plan",
        "only show which backup, WAL range, download and disk the restore would use and check every object; " +
          "writes nothing (exit 0 can run, 4 refused)",
      )
      .option("--set <setting...>", "extra postgresql.auto.conf settings for the restored cluster (e.g. port=5433)")
      .addOption(
        new Option(
          "--archive-mode <mode>",
          "archive_mode of the restored cluster (off keeps a drill from writing to the repository)",
        )
          .choices(["off", "preserve"])
          .default("off"),
      )
      .option(
        "--tablespace-map <oid=dir...>",
        "restore tablespace OID into DIR (default: inside the data directory's pg_tblspc)",
      )
      .option("--timeout <seconds>", "with --start: how long to wait for recovery", "3600")
      .option("--uploads-to <dir>", "restore the uploads snapshot (every file's checksum verified) under DIR")
      .option("--uploads-snapshot <id>", "uploads snapshot id (default: the newest taken at or before the target)")
      .option(
        "--path <path...>",
        "with --uploads-to: restore only these files or directories (original absolute paths)",
      )
      .option("--secrets-to <dir>", "decrypt the secrets archive under DIR (mode 0600); needs --identity")
      .option("--secrets-archive <id>", "secrets archive id (default: the newest taken at or before the target)")
      .option("--identity <file>", "age identity file (AGE-SECRET-KEY-1...) for --secrets-to"),
    () => import("./commands/restore.js"),
    (module) => module.runRestore,
  );
  lazy(
    program
      .command("mark")
      .description(
        "create a restore point (pg_create_restore_point) and record its name, LSN and time in the repository, " +
          "for restore --target-name",
      )
      .argument("<name>", "restore point name (1-63 letters, digits, '.', '_', '-'; each name is recorded once)"),
    () => import("./commands/mark.js"),
    (module) => module.runMark,
  );
  lazy(
    program
      .command("expire")
      .description(
        "apply retention: delete old backup chains, leftovers of interrupted backups and WAL no kept backup needs",
      )
      .option("--dry-run", "show what would be deleted, delete nothing")
      .option("--verify", "count a chain toward retention only after re-reading its content (every checksum)"),
    () => import("./commands/expire.js"),
    (module) => module.runExpire,
  );
  lazy(
    program
      .command("verify")
      .description("re-read stored objects, check every checksum, and check the WAL chain of each backup")
      .argument("[backup-id]", "verify only this backup"),
    () => import("./commands/verify.js"),
    (module) => module.runVerify,
  );

  // --- upgrades (upgrade, rollback, deployments, drift) ---
  lazy(
    program
      .command("upgrade")
      .description(
        "upgrade the application from a release tarball: preflight, " +
          "stop, configs, migrations, switch, start, health gate; " +
          "automatic rollback",
      )
      .argument("<tarball>", "release tarball (docs/release-format.md)")
      .option(
        "--plan",
        "print every change (files and drift class, migrations, service " +
          "actions, disk) and exit 0 nothing / 2 changes / 4 blocked; " +
          "writes nothing",
      )
      .option("--yes", "do not ask for confirmation (required when stdin is not a terminal)")
      .addOption(
        new Option(
          "--config-policy <policy>",
          "config files edited locally AND changed upstream: fail " +
            "(block), keep (write .zops-dist), replace (save .zops-old)",
        )
          .choices(["keep", "replace", "fail"])
          .default("fail"),
      )
      .option("--skip-migrations", "do not run pending migrations")
      .option("--no-restart", "unpack and point `next` only; do not touch the service")
      .option("--allow-downgrade", "allow a release older than the current one (or a database ahead of it)"),
    () => import("./commands/upgrade.js"),
    (module) => module.runUpgrade,
  );
  lazy(
    program
      .command("rollback")
      .description(
        "switch current back to last (stop, optionally revert the database, switch, start, health gate), journaled " +
          "like an upgrade; first rolls back an interrupted upgrade or rollback from its journal",
      )
      .option("--plan", "print what the rollback would do and exit 2 (changes planned) or 4 (blocked); writes nothing")
      .option("--yes", "do not ask for confirmation (required when stdin is not a terminal)")
      .addOption(
        new Option(
          "--migrations <mode>",
          "keep: leave the database as it is; down: run the down steps of migrations the target release does not " +
            "ship, or restore the restore point taken before them",
        )
          .choices(["keep", "down"])
          .default("keep"),
      ),
    () => import("./commands/rollback.js"),
    (module) => module.runRollback,
  );
  lazy(
    program
      .command("deployments")
      .description(
        "list deployments with version and status (current, last, next, previous, failed, rolled back, abandoned)",
      )
      .option("--prune", "delete abandoned deployments (never ran, no link points at them)"),
    () => import("./commands/deployments.js"),
    (module) => module.runDeployments,
  );
  lazy(
    program
      .command("drift")
      .description("report config files that differ from what zops installed (read only; exit 0 none, 2 drifted)")
      .option("--diff", "show a unified diff installed -> on disk"),
    () => import("./commands/drift.js"),
    (module) => module.runDrift,
  );

  // --- files and drills (drill) ---
  lazy(
    program
      .command("drill")
      .description(
        "restore a backup into a scratch cluster, replay the archive to " +
          "its end, verify (fingerprints, pg_amcheck, uploads, secrets) " +
          "and report RTO/RPO",
      )
      .option("--backup <id>", "backup to drill (default: latest)")
      .option("--keep", "keep the scratch cluster (stopped) for inspection", false)
      .option(
        "--identity <file>",
        "age identity to decrypt the secrets archive (default: drill.identityFile; else integrity check only)",
      )
      .option("--timeout <seconds>", "give up on recovery after this long", "14400"),
    () => import("./commands/drill.js"),
    (module) => module.runDrill,
  );
  lazy(
    program
      .command("drills")
      .description("list the restore drills stored in the repository: result, RTO, RPO, failed checks"),
    () => import("./commands/drills.js"),
    (module) => module.runDrills,
  );
  lazy(
    program
      .command("report")
      .description(
        "summarize the recovery window, backups, drills (RTO/RPO), retention and upgrades; with --html, one " +
          "self-contained page to send (read-only)",
      )
      .option("--html <file>", "write the report as one static HTML page (no script, no external asset) to FILE"),
    () => import("./commands/report.js"),
    (module) => module.runReport,
  );

  return program;
};

// Prints an error as one line plus HINT (stack only with --verbose or when it is not a ZopsError).
const reportError = (name: string, error: unknown, globals: GlobalOptions): void => {
  const zops = error instanceof ZopsError ? error : undefined;
  process.stderr.write(`zops ${name}: ERROR [${zops?.code ?? "INTERNAL"}]: ${messageOf(error)}\n`);
  if (zops?.hint) process.stderr.write(`HINT: ${zops.hint}\n`);
  if (globals.verbose || !zops) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      process.stderr.write(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
      if (cause) process.stderr.write("caused by: ");
    }
  }
};

/** The JSON document `--json` prints for one command, whatever its ending. Pure. */
export const jsonEnvelope = (name: string, ending: Ending): Record<string, unknown> => {
  const head = { ok: ending.status === 0, command: name, exitStatus: ending.status };
  if (ending.result) {
    const outcome = ending.result.outcome;
    return { ...head, ...(outcome && outcome !== "ok" ? { outcome } : {}), result: ending.result.json ?? null };
  }
  const zops = ending.error instanceof ZopsError ? ending.error : undefined;
  const error = {
    code: zops?.code ?? "INTERNAL",
    message: messageOf(ending.error),
    hint: zops?.hint,
    ...zops?.details,
  };
  return { ...head, error };
};

// Prints how a command ended: its JSON envelope with --json, else its text; an error also on stderr.
const print = (name: string, ending: Ending, globals: GlobalOptions): void => {
  if (!ending.result && ending.normalEnd) process.stderr.write(`zops ${name}: ${ending.normalEnd}\n`);
  else if (ending.error !== undefined || !ending.result) reportError(name, ending.error, globals);
  if (globals.json) process.stdout.write(`${JSON.stringify(jsonEnvelope(name, ending), null, 2)}\n`);
  else if (ending.result?.text) process.stdout.write(`${ending.result.text}\n`);
};

/** Parses argv, runs the command through the runner, prints how it ended and sets process.exitCode. */
export const main = async (argv: string[] = process.argv): Promise<void> => {
  endQuietlyOnBrokenPipe();
  let globals: GlobalOptions = { json: false, verbose: false };
  const loaders = new Map<Command, Loader>();
  const program = buildProgram(async (command, load, args) => {
    globals = { ...(command.optsWithGlobals() as GlobalOptions) };
    const name = nameOf(command);
    const positional = args.slice(0, -1);
    let ending: Ending;
    try {
      const commandLine = ["zops", ...argv.slice(2)].join(" ");
      ending = await runCommand(await load(), { name, globals, args: positional, commandLine });
    } catch (error) {
      ending = { status: ERROR_CODES.INTERNAL.exit, error };
    }
    print(name, ending, globals);
    process.exitCode = ending.status;
  }, loaders);
  // A usage error takes the status the failing command declares (wal-fetch: 128, check: 3), else USAGE's.
  const tagged = (command: Command): void => {
    command.exitOverride((error) => {
      throw Object.assign(error, { command });
    });
    for (const sub of command.commands) tagged(sub);
  };
  tagged(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpOrVersion =
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help";
      const load = loaders.get((error as CommanderError & { command?: Command }).command ?? program);
      const meta = helpOrVersion || !load ? undefined : (await load().catch(() => undefined))?.meta;
      process.exitCode = helpOrVersion ? 0 : usageStatus(meta?.exits);
      return;
    }
    reportError("zops", error, globals);
    process.exitCode = ERROR_CODES.INTERNAL.exit;
  }
};
