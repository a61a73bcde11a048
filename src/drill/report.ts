import { ZopsError, isZopsError } from "../errors/index.js";
import { DRILL_REPORTS_PREFIX, drillReportKey } from "../repo/layout.js";
import { getBuffer, listAll, putJson } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { formatDuration, formatTable } from "../ui/output.js";

/** `incomplete`: the check could not be made although it should have been (it fails the drill as "incomplete"). */
export type DrillCheckStatus = "pass" | "fail" | "skip" | "incomplete";

/** Verdict of a drill: `incomplete` when nothing failed but a check that should have run could not. */
export type DrillResult = "passed" | "failed" | "incomplete";

/** One verification the drill made. */
export interface DrillCheck {
  readonly name: string;
  readonly status: DrillCheckStatus;
  readonly message: string;
}

/** What a drill proved, stored in the repository as `drills/reports/<id>.json`. */
export interface DrillReport {
  readonly format: "zops-drill-report";
  readonly version: 1;
  readonly id: string;
  readonly backup: string | undefined;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly ok: boolean;
  /** Absent in reports written before it existed: read `ok` then. */
  readonly result?: DrillResult;
  readonly checks: readonly DrillCheck[];
  /** Recovery time: total (start to first query answered), download, replay, first query. */
  readonly rto: {
    readonly totalMs: number;
    readonly downloadMs: number;
    readonly replayMs: number;
    readonly firstQueryMs: number;
  };
  /** Recovery point: time of the last replayed transaction and its age when recovery ended. */
  readonly rpo: { readonly lastTransactionAt: string | undefined; readonly seconds: number | undefined };
  readonly replay: { readonly reachedLsn: string | undefined; readonly newestArchivedSegment: string | undefined };
  /** The scratch directory, when kept with --keep. */
  readonly keptAt: string | undefined;
}

/** A drill id for `date`: UTC `YYYYMMDDTHHMMSSZ` (sorts by time). Pure. */
export const makeDrillId = (date: Date): string =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/** Stores the report (atomic put). Idempotent for the same id. */
export const storeDrillReport = async (storage: Storage, report: DrillReport): Promise<void> => {
  await putJson(storage, drillReportKey(report.id), report);
};

/**
 * The newest stored drill report, or undefined when no drill ever ran. Throws REPO_INVALID for an unreadable report.
 */
export const latestDrillReport = async (storage: Storage): Promise<DrillReport | undefined> => {
  const keys = (await listAll(storage, DRILL_REPORTS_PREFIX)).filter((key) => key.endsWith(".json")).sort();
  const last = keys[keys.length - 1];
  if (!last) return undefined;
  try {
    return JSON.parse((await getBuffer(storage, last)).toString("utf8")) as DrillReport;
  } catch (error) {
    if (isZopsError(error)) throw error;
    throw new ZopsError("REPO_INVALID", `drill report '${last}' is not valid JSON`, {
      hint: "delete it or run a new drill",
      cause: error,
    });
  }
};

/** The report as text for people: verdict, RTO/RPO and one row per check. Pure. */
export const formatDrillReport = (report: DrillReport): string => {
  const rows = [
    ["check", "result", "detail"],
    ...report.checks.map((check) => [check.name, check.status.toUpperCase(), check.message]),
  ];
  const rpo =
    report.rpo.seconds === undefined
      ? "unknown (no transaction replayed)"
      : `${report.rpo.seconds.toFixed(1)} s (last transaction ${report.rpo.lastTransactionAt})`;
  return [
    `drill ${report.id} of backup ${report.backup ?? "?"}: ` +
      (report.result ?? (report.ok ? "passed" : "failed")).toUpperCase(),
    `RTO ${formatDuration(report.rto.totalMs)} (download ` +
      `${formatDuration(report.rto.downloadMs)}, replay ` +
      `${formatDuration(report.rto.replayMs)}, first query ` +
      `${formatDuration(report.rto.firstQueryMs)})`,
    `RPO ${rpo}`,
    `replayed to ${report.replay.reachedLsn ?? "?"} (newest ` +
      `archived segment ` +
      `${report.replay.newestArchivedSegment ?? "none"})`,
    "",
    formatTable(rows),
    ...(report.keptAt ? ["", `scratch cluster kept at ${report.keptAt}`] : []),
  ].join("\n");
};
