import { openRepository } from "../repo/repository.js";
import { listDrillReports } from "../report/drill-history.js";
import { openStorage } from "../storage/open.js";
import { formatDuration, formatTable } from "../ui/output.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

/** No lock: reads stored drill reports. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/** `zops drills`: the restore drills stored in the repository, oldest first, with result, RTO and RPO. Read-only. */
export const runDrills = async (globals: GlobalOptions): Promise<CommandResult> => {
  const { config } = await loadCommandConfig(globals);
  const storage = await openStorage(config);
  try {
    await openRepository(storage);
    const reports = await listDrillReports(storage);
    const rows = reports.map((report) => [
      report.id,
      report.finishedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      report.backup ?? "?",
      report.ok ? "passed" : report.result === "incomplete" ? "INCOMPLETE" : "FAILED",
      report.rto?.totalMs === undefined ? "?" : formatDuration(report.rto.totalMs),
      report.rpo?.seconds === undefined ? "?" : formatDuration(report.rpo.seconds * 1000),
      report.checks
        .filter((check) => check.status === "fail" || check.status === "incomplete")
        .map((check) => check.name)
        .join(", ") || "-",
    ]);
    const text =
      reports.length === 0
        ? "no restore drill has run: `zops drill` restores the newest backup into a scratch cluster and verifies it"
        : formatTable([["DRILL", "FINISHED", "BACKUP", "RESULT", "RTO", "RPO", "FAILED CHECKS"], ...rows]);
    return {
      text,
      json: {
        drills: reports.map((report) => ({
          id: report.id,
          backup: report.backup ?? null,
          startedAt: report.startedAt,
          finishedAt: report.finishedAt,
          ok: report.ok,
          rtoMs: report.rto?.totalMs ?? null,
          rpoSeconds: report.rpo?.seconds ?? null,
          failed: report.checks.filter((check) => check.status === "fail"),
        })),
      },
    };
  } finally {
    await storage.close?.();
  }
};
