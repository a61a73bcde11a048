import { Command, CommanderError, Option } from "commander";
import { ERROR_CODES, ZopsError, isZopsError, messageOf } from "./errors/index.js";
import { endQuietlyOnBrokenPipe } from "./ui/broken-pipe.js";
import type { CommandResult, GlobalOptions } from "./ui/output.js";

// Commander wiring only. Each action lazily imports its command module, so `zops wal-push`
// (started once per WAL segment by PostgreSQL) loads nothing it does not use. This is the one
// place that turns errors into messages and exit codes.

const VERSION = "0.1.0";

const exitCodeHelp = (): string => {
  const rows = new Map<number, string[]>();
  rows.set(0, ["success"]);
  for (const info of Object.values(ERROR_CODES)) rows.set(info.exit, [...(rows.get(info.exit) ?? []), info.summary]);
  const lines = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([exit, texts]) => `  ${String(exit).padStart(3)}  ${texts.join("; ")}`);
  return [
    "",
    "Exit status:",
    ...lines,
    "",
    "  wal-fetch: 1 = segment not in the archive (normal end of " +
      "recovery); 128 = any other failure, so PostgreSQL stops " +
      "recovery instead of ending it early.",
    "  check: Nagios convention, 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; with --output FILE, 0 once FILE is " +
      "written.",
    "  upgrade --plan: 0 nothing to do, 2 changes planned, 4 blocked.",
    "",
    "Configuration: --config FILE, else $ZOPS_CONFIG, else /etc/zops/zops.yml (see templates/zops.yml).",
  ].join("\n");
};

type Action = (globals: GlobalOptions, ...args: any[]) => Promise<CommandResult>;

/** Builds the commander program; `execute` receives each command's lazy action. */
export const buildProgram = (
  execute: (name: string, action: () => Promise<Action>, args: unknown[]) => Promise<void>,
): Command => {
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

  const on =
    (name: string, load: () => Promise<Action>) =>
    (...args: unknown[]) =>
      execute(name, load, args);

  // --- repository (foundation) ---
  const repo = program.command("repo").description("create or test a repository");
  repo
    .command("init")
    .description("create a repository at repository.url (refuses an existing or foreign location)")
    .action(on("repo init", async () => (await import("./commands/repo-init.js")).runRepoInit));
  repo
    .command("check")
    .description(
      "exercise the storage endpoint (put, get, range, list, multipart, overwrite, delete) and print what works",
    )
    .action(on("repo check", async () => (await import("./commands/repo-check.js")).runRepoCheck));

  // --- WAL (wal-push, wal-fetch, check) ---
  program
    .command("wal-push")
    .description(
      "archive one WAL file (archive_command = 'zops wal-push %p'); a " +
        "background process pushes the other .ready files ahead",
    )
    .argument("<path>", "the WAL file (%p)")
    .option("--force", "archive the file even though PostgreSQL has not marked it ready (archive_status/<name>.ready)")
    .option(
      "--replace-partial",
      "replace a stored copy that is provably an unfinished copy of this segment (the old one is kept under replaced/)",
    )
    .action(on("wal-push", async () => (await import("./commands/wal-push.js")).runWalPush));
  program
    .command("wal-push-ahead", { hidden: true })
    .description("the background pusher that wal-push starts (internal)")
    .argument("<pg_wal>", "the data directory's pg_wal")
    .option("--after <name>", "start pushing once the process that started it has stored this file")
    .action(on("wal-push-ahead", async () => (await import("./commands/wal-push-ahead.js")).runWalPushAhead));
  program
    .command("wal-fetch")
    .description("restore one WAL file (restore_command = 'zops wal-fetch %f %p'); prefetches the next segments")
    .argument("<segment>", "WAL file name (%f)")
    .argument("<dest>", "where to write it (%p)")
    .action(on("wal-fetch", async () => (await import("./commands/wal-fetch.js")).runWalFetch));
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
    .option("--archive-timeout <seconds>", "how long --archive waits for the segment (default 60)")
    .action(on("check", async () => (await import("./commands/check.js")).runCheck));

  // --- backups (backup, backups, restore, expire, verify) ---
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
    .option("--no-secrets", "skip the secrets archive")
    .action(on("backup", async () => (await import("./commands/backup.js")).runBackup));
  program
    .command("backups")
    .description("list backups, or show one (sizes, LSN range, WAL needed, recovery window)")
    .argument("[backup-id]", "backup to show")
    .action(on("backups", async () => (await import("./commands/backups.js")).runBackups));
  program
    .command("restore")
    .description(
      "restore a backup into a directory and configure recovery (point-in-time with a target); uploads and secrets too",
    )
    .option("--to <dir>", "target data directory (must be empty or absent unless --delta)")
    .option("--backup <id>", "backup id or 'latest'", "latest")
    .option("--target-time <time>", "recover up to this time (e.g. '2026-11-23 10:00:00+00')")
    .option("--target-lsn <lsn>", "recover up to this LSN")
    .option("--target-name <name>", "recover up to this restore point (pg_create_restore_point)")
    .option("--target-immediate", "stop as soon as the backup is consistent")
    .addOption(
      new Option("--target-action <action>", "what PostgreSQL does at the target")
        .choices(["promote", "pause", "shutdown"])
        .default("promote"),
    )
    .option("--delta", "reuse a non-empty target: rewrite only files whose checksum differs, remove the others")
    .option("--start", "start PostgreSQL on the restored directory and wait until recovery completes")
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
    .option("--uploads-snapshot <id>", "uploads snapshot id or 'latest'", "latest")
    .option("--path <path...>", "with --uploads-to: restore only these files or directories (original absolute paths)")
    .option("--secrets-to <dir>", "decrypt the secrets archive under DIR (mode 0600); needs --identity")
    .option("--secrets-archive <id>", "secrets archive id or 'latest'", "latest")
    .option("--identity <file>", "age identity file (AGE-SECRET-KEY-1...) for --secrets-to")
    .action(on("restore", async () => (await import("./commands/restore.js")).runRestore));
  program
    .command("expire")
    .description(
      "apply retention: delete old backup chains, leftovers of interrupted backups and WAL no kept backup needs",
    )
    .option("--dry-run", "show what would be deleted, delete nothing")
    .action(on("expire", async () => (await import("./commands/expire.js")).runExpire));
  program
    .command("verify")
    .description("re-read stored objects, check every checksum, and check the WAL chain of each backup")
    .argument("[backup-id]", "verify only this backup")
    .action(on("verify", async () => (await import("./commands/verify.js")).runVerify));

  // --- upgrades (upgrade, rollback, deployments, drift) ---
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
    .option("--allow-downgrade", "allow a release older than the current one (or a database ahead of it)")
    .action(on("upgrade", async () => (await import("./commands/upgrade.js")).runUpgrade));
  program
    .command("rollback")
    .description(
      "switch current back to last, restart and health-check (the " +
        "database is not reverted); rolls back an interrupted upgrade",
    )
    .action(on("rollback", async () => (await import("./commands/rollback.js")).runRollback));
  program
    .command("deployments")
    .description("list deployments with version and current/last/next marks")
    .action(on("deployments", async () => (await import("./commands/deployments.js")).runDeployments));
  program
    .command("drift")
    .description("report config files that differ from what zops installed (read only)")
    .option("--diff", "show a unified diff installed -> on disk")
    .action(on("drift", async () => (await import("./commands/drift.js")).runDrift));

  // --- files and drills (drill) ---
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
    .option("--timeout <seconds>", "give up on recovery after this long", "14400")
    .action(on("drill", async () => (await import("./commands/drill.js")).runDrill));
  program
    .command("drills")
    .description("list the restore drills stored in the repository: result, RTO, RPO, failed checks")
    .action(on("drills", async () => (await import("./commands/drills.js")).runDrills));
  program
    .command("report")
    .description(
      "summarize the recovery window, backups, drills (RTO/RPO), retention and upgrades; with --html, one " +
        "self-contained page to send (read-only)",
    )
    .option("--html <file>", "write the report as one static HTML page (no script, no external asset) to FILE")
    .action(on("report", async () => (await import("./commands/report.js")).runReport));

  return program;
};

// Exit status used when a command fails with `error`.
const exitStatusOf = (name: string, error: unknown): number => {
  if (name === "wal-fetch") return isZopsError(error, "STORAGE_NOT_FOUND") ? 1 : 128;
  if (name === "check") return 3;
  if (error instanceof ZopsError) return error.exitCode;
  return ERROR_CODES.INTERNAL.exit;
};

// Prints an error as one line plus HINT (stack only with --verbose); JSON on stdout with --json.
const report = (name: string, error: unknown, globals: GlobalOptions): void => {
  const zops = error instanceof ZopsError ? error : undefined;
  if (globals.json) {
    const body = { code: zops?.code ?? "INTERNAL", message: messageOf(error), hint: zops?.hint, ...zops?.details };
    process.stdout.write(`${JSON.stringify({ ok: false, command: name, error: body })}\n`);
  }
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

/** Parses argv, runs the command, prints its result and sets process.exitCode. */
export const main = async (argv: string[] = process.argv): Promise<void> => {
  endQuietlyOnBrokenPipe();
  let globals: GlobalOptions = { json: false, verbose: false };
  const program = buildProgram(async (name, load, args) => {
    const command = args[args.length - 1] as Command;
    globals = { ...(command.optsWithGlobals() as GlobalOptions) };
    const positional = args.slice(0, -1);
    try {
      const action = await load();
      const result = await action(globals, ...positional);
      if (globals.json && result.json !== undefined) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
      else if (result.text) process.stdout.write(`${result.text}\n`);
      process.exitCode = result.exitCode ?? 0;
    } catch (error) {
      report(name, error, globals);
      process.exitCode = exitStatusOf(name, error);
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpOrVersion =
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help";
      // A malformed restore_command must stop recovery, not read as "segment not found" (any exit below 126 would).
      process.exitCode = helpOrVersion ? 0 : argv.slice(2).includes("wal-fetch") ? 128 : ERROR_CODES.USAGE.exit;
      return;
    }
    report("zops", error, globals);
    process.exitCode = exitStatusOf("zops", error);
  }
};
