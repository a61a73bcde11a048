import { findRestorable } from "../../backup/restorable.js";
import { rate, worstStatus, type Probe, type ProbeResult } from "../probe.js";

/**
 * Age of the newest restorable backup against check.backupWarnHours/backupCriticalHours; critical when there is none;
 * at least a warning naming them when some backups are unrestorable (damaged manifest, missing objects).
 */
export const backupAgeProbe: Probe = async (context): Promise<ProbeResult> => {
  const { restorable, unrestorable } = await findRestorable(await context.storage());
  const newest = restorable[restorable.length - 1];
  const limits = {
    warn: context.config.check.backupWarnHours * 3600,
    crit: context.config.check.backupCriticalHours * 3600,
  };
  const damage =
    unrestorable.length === 0
      ? ""
      : `; ${unrestorable.length} unrestorable backup(s): ` +
        unrestorable
          .map((backup) => `${backup.id} (${backup.reason})`)
          .join("; ")
          .slice(0, 300) +
        " (run `zops verify`)";
  if (!newest)
    return {
      name: "backup-age",
      status: "critical",
      message:
        (unrestorable.length === 0 ? "no backup in the repository" : "no restorable backup in the repository") +
        `: run \`zops backup\`${damage}`,
      metrics: { backups: 0, backups_unrestorable: unrestorable.length },
      thresholds: { backup_age_seconds: limits },
    };
  const age = (context.now().getTime() - Date.parse(newest.stoppedAt)) / 1000;
  const ageStatus = rate(age, limits);
  const check = context.config.check;
  return {
    name: "backup-age",
    status: worstStatus([ageStatus, unrestorable.length > 0 ? "warning" : "ok"]),
    message:
      `last backup ${newest.id} (${newest.type}) finished ` +
      `${(age / 3600).toFixed(1)} h ` +
      "ago" +
      (ageStatus === "ok"
        ? ""
        : ` (warning after ${check.backupWarnHours} h, critical after ${check.backupCriticalHours} h)`) +
      damage,
    metrics: {
      backup_age_seconds: Math.round(age),
      backups: restorable.length,
      backups_unrestorable: unrestorable.length,
    },
    thresholds: { backup_age_seconds: limits },
  };
};
