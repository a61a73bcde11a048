import { listBackups } from "../../backup/manifest.js";
import { rate, type Probe, type ProbeResult } from "../probe.js";

/** Age of the newest valid backup against check.backupWarnHours/backupCriticalHours; critical when there is none. */
export const backupAgeProbe: Probe = async (context): Promise<ProbeResult> => {
  const backups = await listBackups(await context.storage());
  const newest = backups[backups.length - 1];
  const limits = {
    warn: context.config.check.backupWarnHours * 3600,
    crit: context.config.check.backupCriticalHours * 3600,
  };
  if (!newest)
    return {
      name: "backup-age",
      status: "critical",
      message: "no backup in the repository: run `zops backup`",
      metrics: { backups: 0 },
      thresholds: { backup_age_seconds: limits },
    };
  const age = (context.now().getTime() - Date.parse(newest.stoppedAt)) / 1000;
  const status = rate(age, limits);
  const check = context.config.check;
  return {
    name: "backup-age",
    status,
    message:
      `last backup ${newest.id} (${newest.type}) finished ` +
      `${(age / 3600).toFixed(1)} h ` +
      "ago" +
      (status === "ok"
        ? ""
        : ` (warning after ${check.backupWarnHours} h, critical after ${check.backupCriticalHours} h)`),
    metrics: { backup_age_seconds: Math.round(age), backups: backups.length },
    thresholds: { backup_age_seconds: limits },
  };
};
