import { readFile } from "node:fs/promises";

/** One upgrade or rollback as the upgrade log recorded it. */
export interface UpgradeEvent {
  readonly at: Date;
  readonly kind: "upgrade" | "rollback";
  readonly from: string;
  readonly to: string;
  /** "ok", or "rolled back" for an upgrade that failed and was undone. */
  readonly outcome: "ok" | "rolled back";
  /** Stop to healthy, when the log says. */
  readonly downtimeMs: number | undefined;
  readonly reason: string | undefined;
}

const LINE = /^(\S+) (upgrade|rollback)\[(\d+)\]: (.*)$/;
const UPGRADED = /^upgraded \S+ (\S+) -> (\S+) \(deployments\//;
const ROLLED_BACK = /^upgrade (\S+) -> (\S+) failed and was rolled back: (.*)$/;
const ROLLBACK = /^rolled back \S+ (\S+) -> (\S+)$/;
const DOWNTIME = /^downtime: (.+?) \(stop to healthy\)$/;

/**
 * The upgrades and rollbacks in the upgrade log text (deploy.logPath, written by `zops upgrade`/`zops rollback`),
 * oldest first, with their downtime when logged. Lines it does not know are ignored. Pure.
 */
export const parseUpgradeLog = (text: string): UpgradeEvent[] => {
  const events: UpgradeEvent[] = [];
  const open = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, stamp = "", kind = "", pid = "", body = ""] = match;
    const run = `${kind}[${pid}]`;
    const at = new Date(stamp);
    if (Number.isNaN(at.getTime())) continue;
    const downtime = DOWNTIME.exec(body);
    const index = open.get(run);
    if (downtime && index !== undefined) {
      const event = events[index];
      if (event) events[index] = { ...event, downtimeMs: parseDuration(downtime[1] ?? "") };
      open.delete(run);
      continue;
    }
    const upgraded = kind === "upgrade" ? UPGRADED.exec(body) : null;
    const failed = kind === "upgrade" ? ROLLED_BACK.exec(body) : null;
    const rolledBack = kind === "rollback" ? ROLLBACK.exec(body) : null;
    const found = upgraded ?? failed ?? rolledBack;
    if (!found) continue;
    events.push({
      at,
      kind: kind as UpgradeEvent["kind"],
      from: found[1] ?? "?",
      to: found[2] ?? "?",
      outcome: failed ? "rolled back" : "ok",
      downtimeMs: undefined,
      reason: failed?.[3],
    });
    if (!failed) open.set(run, events.length - 1);
  }
  return events;
};

/** Reads and parses the upgrade log at `path`; undefined when there is none (no upgrade ever ran here). Read-only. */
export const readUpgradeHistory = async (path: string): Promise<UpgradeEvent[] | undefined> => {
  const text = await readFile(path, "utf8").catch(() => undefined);
  return text === undefined ? undefined : parseUpgradeLog(text);
};

// Inverse of formatDuration (ui/output.ts): "850 ms", "1.2 s", "3 min 4 s"; undefined for anything else ("none").
const parseDuration = (text: string): number | undefined => {
  const ms = /^(\d+) ms$/.exec(text);
  if (ms) return Number(ms[1]);
  const seconds = /^([\d.]+) s$/.exec(text);
  if (seconds) return Math.round(Number(seconds[1]) * 1000);
  const minutes = /^(\d+) min (\d+) s$/.exec(text);
  if (minutes) return (Number(minutes[1]) * 60 + Number(minutes[2])) * 1000;
  return undefined;
};
