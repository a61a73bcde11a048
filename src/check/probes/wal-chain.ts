import { scanBackups } from "../../backup/scan-backups.js";
import { findWalGaps } from "../../verify/verify-wal.js";
import { listWal, segmentsOf } from "../../wal/catalog.js";
import type { Probe, ProbeResult } from "../probe.js";

/**
 * Every backup's WAL chain is complete from its start to the newest archived segment (names only; `zops verify`
 * re-reads contents).
 */
export const walChainProbe: Probe = async (context): Promise<ProbeResult> => {
  const storage = await context.storage();
  // Damaged manifests are reported by the backup-age probe; the chain is checked for the readable ones.
  const { backups } = await scanBackups(storage);
  if (backups.length === 0)
    return {
      name: "wal-chain",
      status: "unknown",
      message: "no backup yet: nothing to check the WAL chain against",
      metrics: {},
    };
  const { gaps, newest } = findWalGaps(segmentsOf(await listWal(storage)), backups);
  const missing = [...new Set(gaps.flatMap((gap) => gap.missing))].sort();
  if (missing.length === 0)
    return {
      name: "wal-chain",
      status: "ok",
      message: `WAL complete from ${backups[0]?.walStart} to ${newest ?? "?"}`,
      metrics: { wal_missing_segments: 0 },
    };
  const affected = gaps.map((gap) => gap.backup);
  return {
    name: "wal-chain",
    status: "critical",
    message:
      `${missing.length} WAL segment(s) missing (first ` +
      `${missing[0]}): point-in-time recovery past the gap is ` +
      `impossible for ${affected.length} backup(s); take a new full backup`,
    metrics: { wal_missing_segments: missing.length },
  };
};
