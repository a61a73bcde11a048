import type { DrillReport } from "../drill/report.js";
import { ZopsError, isZopsError } from "../errors/index.js";
import { DRILL_REPORTS_PREFIX } from "../repo/layout.js";
import { getBuffer, listAll } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";

/**
 * Every drill report stored in the repository (`drills/reports/<id>.json`), oldest first (ids sort by time).
 * Read-only. @throws REPO_INVALID naming a report that is not valid JSON.
 */
export const listDrillReports = async (storage: Storage): Promise<DrillReport[]> => {
  const keys = (await listAll(storage, DRILL_REPORTS_PREFIX)).filter((key) => key.endsWith(".json")).sort();
  const reports: DrillReport[] = [];
  for (const key of keys) {
    try {
      reports.push(JSON.parse((await getBuffer(storage, key)).toString("utf8")) as DrillReport);
    } catch (error) {
      if (isZopsError(error)) throw error;
      throw new ZopsError("REPO_INVALID", `drill report '${key}' is not valid JSON`, {
        hint: "delete it or run a new drill",
        cause: error,
      });
    }
  }
  return reports;
};
