import { latestDrillReport } from "../../drill/report.js";
import { rate, type Probe, type ProbeResult } from "../probe.js";

/**
 * The last restore drill passed and is recent (check.drillWarnDays/drillCriticalDays); critical when it failed or was
 * incomplete (a check it should have made did not run), warning
 * when none ever ran.
 */
export const drillProbe: Probe = async (context): Promise<ProbeResult> => {
  const report = await latestDrillReport(await context.storage());
  const limits = {
    warn: context.config.check.drillWarnDays * 86400,
    crit: context.config.check.drillCriticalDays * 86400,
  };
  if (!report)
    return {
      name: "drill",
      status: "warning",
      message: "no restore drill has run: schedule `zops drill` (templates/cron.d/zops)",
      metrics: {},
      thresholds: { drill_age_seconds: limits },
    };
  const age = (context.now().getTime() - Date.parse(report.finishedAt)) / 1000;
  const metrics = {
    drill_age_seconds: Math.round(age),
    drill_ok: report.ok ? 1 : 0,
    drill_rto_seconds: report.rto.totalMs / 1000,
    ...(report.rpo.seconds === undefined ? {} : { drill_rpo_seconds: report.rpo.seconds }),
  };
  if (!report.ok) {
    const failed = report.checks
      .filter((check) => check.status === "fail" || check.status === "incomplete")
      .map((check) => `${check.name}: ${check.message}`);
    const verdict = report.result === "incomplete" ? "INCOMPLETE" : "FAILED";
    return {
      name: "drill",
      status: "critical",
      message: `last drill ${report.id} ${verdict}: ${failed.join("; ").slice(0, 300)}`,
      metrics,
      thresholds: { drill_age_seconds: limits },
    };
  }
  const status = rate(age, limits);
  return {
    name: "drill",
    status,
    message:
      `last drill ${report.id} passed ${(age / 86400).toFixed(1)} ` +
      `days ago (RTO ${(report.rto.totalMs / 1000).toFixed(0)} s, RPO ` +
      `${report.rpo.seconds?.toFixed(0) ?? "?"} s)`,
    metrics,
    thresholds: { drill_age_seconds: limits },
  };
};
