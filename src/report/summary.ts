import { formatDuration } from "../ui/output.js";
import type { ReportModel } from "./model.js";
import { formatSpan, formatTime } from "./text.js";

/** The report's facts as a few lines of text (what `zops report` prints). Pure. */
export const formatReportSummary = (model: ReportModel): string => {
  const last = model.drills[model.drills.length - 1];
  return [
    model.window
      ? `recovery window: ${formatTime(model.window.from)} to ${formatTime(model.window.to)} ` +
        `(${formatSpan(model.window.to.getTime() - model.window.from.getTime())})` +
        (model.gaps.length > 0 ? `, ${model.gaps.length} WAL gap(s) from ${model.gaps[0]?.firstMissing}` : "")
      : "recovery window: none (no restorable backup)",
    `backups: ${model.retention.fullBackups} full, ${model.retention.incrBackups} incremental ` +
      `(retention keeps ${model.retention.full} full)` +
      (model.unrestorable.length > 0
        ? `; UNRESTORABLE: ${model.unrestorable.map((backup) => `${backup.id} (${backup.reason})`).join("; ")}`
        : ""),
    last
      ? `drills: ${model.drills.length}, last ${last.ok ? "passed" : "FAILED"} at ${formatTime(last.finishedAt)}` +
        (model.rto ? `; RTO last ${formatDuration(model.rto.last)}, worst ${formatDuration(model.rto.max)}` : "") +
        (model.rpo
          ? `; RPO last ${formatDuration(model.rpo.last * 1000)}, worst ${formatDuration(model.rpo.max * 1000)}`
          : "")
      : "drills: none",
    model.upgrades && model.upgrades.length > 0
      ? `upgrades: ${model.upgrades.length} in ${model.upgradeLog}`
      : `upgrades: none recorded in ${model.upgradeLog}`,
  ].join("\n");
};

/** The report's facts for `--json` (the same as the page shows). Pure. */
export const reportJson = (model: ReportModel) => ({
  generatedAt: model.generatedAt.toISOString(),
  repository: model.repository,
  recoveryWindow: model.window ? { from: model.window.from.toISOString(), to: model.window.to.toISOString() } : null,
  coverage: model.coverage.map((interval) => ({ from: interval.from.toISOString(), to: interval.to.toISOString() })),
  gaps: model.gaps.map((gap) => ({ ...gap, from: gap.from.toISOString(), to: gap.to.toISOString() })),
  backups: model.backups,
  unrestorable: model.unrestorable,
  drills: model.drills,
  rto: model.rto ?? null,
  rpo: model.rpo ?? null,
  retention: model.retention,
  upgrades: model.upgrades ?? null,
  upgradeLog: model.upgradeLog,
});
