import { findWalObject } from "../../wal/catalog.js";
import type { Probe, ProbeResult } from "../probe.js";

/**
 * The file PostgreSQL last reported archived is really in the repository (catches an archive_command that "succeeds"
 * somewhere else, or WAL deleted behind zops' back).
 */
export const lastArchivedProbe: Probe = async (context): Promise<ProbeResult> => {
  const stats = await context.archiver();
  const name = stats.last_archived_wal;
  if (!name)
    return {
      name: "last-archived",
      status: "warning",
      message: "PostgreSQL has not archived any WAL yet",
      metrics: {},
    };
  const storage = await context.storage();
  const object = await findWalObject(storage, name);
  return object
    ? {
        name: "last-archived",
        status: "ok",
        message: `${name} is in ${storage.location}`,
        metrics: { wal_last_archived_present: 1 },
      }
    : {
        name: "last-archived",
        status: "critical",
        message:
          `PostgreSQL archived ${name} but it is not in ` +
          `${storage.location}: archive_command points elsewhere or WAL ` +
          `was deleted`,
        metrics: { wal_last_archived_present: 0 },
      };
};
