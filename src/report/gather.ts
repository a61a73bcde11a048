import { findRestorable } from "../backup/restorable.js";
import type { ZopsConfig } from "../config/index.js";
import { deployPaths } from "../deploy/paths.js";
import type { Storage } from "../storage/storage.js";
import { listDrillReports } from "./drill-history.js";
import type { ReportInputs } from "./model.js";
import { readUpgradeHistory } from "./upgrade-history.js";
import { listSegmentTimes } from "./wal-times.js";

/**
 * Reads what the report shows: the restorable backups (the window is built from those only) and the unrestorable ones
 * with their reasons, the archived WAL with its storage times and the drill reports from the repository, the retention
 * setting, and the upgrade log named by `deploy:` (absent: no upgrade ran here). Read-only.
 */
export const gatherReportInputs = async (storage: Storage, config: ZopsConfig): Promise<ReportInputs> => {
  const [{ restorable, unrestorable }, segments, drills] = await Promise.all([
    findRestorable(storage),
    listSegmentTimes(storage),
    listDrillReports(storage),
  ]);
  const upgradeLog = deployPaths(config.deploy).log;
  return {
    repository: storage.location,
    backups: restorable,
    unrestorable,
    segments,
    drills,
    retention: { full: config.backup.retention.full },
    upgrades: await readUpgradeHistory(upgradeLog),
    upgradeLog,
  };
};
