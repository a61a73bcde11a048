import { formatBytes, formatDuration, formatTable } from "../../src/ui/output.js";
import { releaseService } from "../../src/deploy/release-service.js";
import { join } from "node:path";
import type { DeployRun, UpgradeContext } from "./context.js";

/** Whether the upgrade would change anything (plan exit 2 vs 0). */
export const hasChanges = (ctx: UpgradeContext): boolean =>
  !ctx.currentManifest ||
  ctx.currentManifest.version !== ctx.manifest?.version ||
  ctx.configChanges.some((change) => change.action !== "none") ||
  (!ctx.options.skipMigrations && ctx.pendingMigrations.length > 0);

const actionText: Record<string, string> = {
  none: "leave as is",
  install: "install",
  "keep-write-dist": "keep local file, write .zops-dist",
  "replace-save-old": "install, save local file as .zops-old",
  blocked: "BLOCKED",
};

const serviceLines = (ctx: UpgradeContext): string[] => {
  if (!ctx.manifest) return [];
  const next = releaseService(
    ctx.config,
    ctx.paths,
    ctx.manifest,
    ctx.deploymentPath ?? join(ctx.paths.deployments, "<new>"),
  );
  const old =
    ctx.links?.current && ctx.currentManifest
      ? releaseService(ctx.config, ctx.paths, ctx.currentManifest, ctx.links.current)
      : undefined;
  const lines: string[] = [];
  if (!ctx.options.restart) return ["  none (--no-restart: unpack and point next only)"];
  lines.push(
    old?.stop
      ? `  stop ${ctx.currentManifest?.version}: ${old.stop.argv.join(" ")}`
      : "  stop: nothing running (no current deployment or no stop command)",
  );
  lines.push(`  switch current -> new deployment${ctx.links?.current ? `, last -> ${ctx.links.current}` : ""}`);
  lines.push(
    next.start ? `  start ${ctx.manifest.version}: ${next.start.argv.join(" ")}` : "  start: no start command",
  );
  const probe = [next.health.url, next.health.command?.argv.join(" ")].filter(Boolean).join(" and ");
  lines.push(
    probe
      ? `  health check: ${probe} (deadline ${next.health.deadlineMs / 1000} s)`
      : "  health check: none configured",
  );
  return lines;
};

/** The plan as text: files with drift class, migrations, service actions, disk, backup, blockers. */
export const formatPlan = (ctx: UpgradeContext): string => {
  const lines = [
    `Upgrade plan: ${ctx.manifest?.name ?? "?"} ` +
      `${ctx.currentManifest?.version ?? "(not installed)"} -> ` +
      `${ctx.manifest?.version ?? "?"} from ${ctx.tarball}`,
  ];
  lines.push("Config files:");
  if (ctx.configChanges.length === 0) lines.push("  none");
  else
    lines.push(
      formatTable([
        ["  file", "drift class", "action"],
        ...ctx.configChanges.map((change) => [
          `  ${change.path}`,
          change.kind,
          actionText[change.action] ?? change.action,
        ]),
      ]),
    );
  for (const change of ctx.configChanges.filter((entry) => entry.diff))
    lines.push(`3-way diff of ${change.path} (local edit vs upstream change):`, change.diff ?? "");
  const pending = ctx.pendingMigrations.map(
    (name) => `${name}${ctx.irreversible.includes(name) ? " (no down step: restore point)" : ""}`,
  );
  lines.push(
    `Migrations pending: ${pending.length ? pending.join(", ") : "none"}` +
      (ctx.options.skipMigrations && pending.length ? " (NOT run: --skip-migrations)" : ""),
  );
  lines.push("Service:", ...serviceLines(ctx));
  lines.push(`Disk: ${formatBytes(ctx.diskNeeded ?? 0)} needed, ${formatBytes(ctx.diskFree ?? 0)} free`);
  if (ctx.backup) lines.push(`Backup: ${ctx.backup.status}: ${ctx.backup.message}`);
  for (const note of ctx.notes) lines.push(`Note: ${note}`);
  if (ctx.blockers.length) lines.push("BLOCKED:", ...ctx.blockers.map((blocker) => `  - ${blocker}`));
  else lines.push(hasChanges(ctx) ? "Result: changes planned" : "Result: nothing to do");
  return lines.join("\n");
};

/** The plan as JSON (same facts as the text). */
export const planJson = (ctx: UpgradeContext) => ({
  release: ctx.manifest && { name: ctx.manifest.name, version: ctx.manifest.version },
  current: ctx.currentManifest?.version ?? null,
  configs: ctx.configChanges.map((change) => ({
    path: change.path,
    class: change.kind,
    action: change.action,
    diff: change.diff,
  })),
  migrationsPending: ctx.pendingMigrations,
  migrationsWithoutDown: ctx.irreversible,
  diskNeeded: ctx.diskNeeded,
  diskFree: ctx.diskFree,
  backup: ctx.backup,
  notes: ctx.notes,
  blockers: ctx.blockers,
  changes: hasChanges(ctx),
});

/** Per-step durations and downtime as text. */
export const formatTimings = (ctx: DeployRun): string => {
  const rows = ctx.timings.map((timing) => [`  ${timing.title}`, formatDuration(timing.ms)]);
  return ["Steps:", formatTable(rows)].join("\n");
};

/** Downtime (stop to healthy) in ms, when the service was stopped or started. */
export const downtimeMs = (ctx: DeployRun): number | undefined =>
  ctx.stoppedAt !== undefined && ctx.healthyAt !== undefined ? Math.round(ctx.healthyAt - ctx.stoppedAt) : undefined;
