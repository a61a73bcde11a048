import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../fsio/atomic-write.js";

/** What happened to a deployment, recorded in `<deployment>/.zops/status.json`. */
export type RecordedStatus = "installed" | "failed" | "rolled-back";

const statusFile = (deployment: string) => join(deployment, ".zops", "status.json");

/** Records a deployment's status (atomic; best effort when the deployment is gone). */
export const recordDeploymentStatus = async (deployment: string, status: RecordedStatus): Promise<void> => {
  if (!(await lstat(deployment).catch(() => undefined))?.isDirectory()) return;
  await writeFileAtomic(statusFile(deployment), `${JSON.stringify({ status, at: new Date().toISOString() })}\n`, {
    mode: 0o644,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
};

/** The recorded status of a deployment, or undefined (never became current: abandoned unless next). Read only. */
export const readDeploymentStatus = async (deployment: string): Promise<RecordedStatus | undefined> => {
  try {
    const parsed = JSON.parse(await readFile(statusFile(deployment), "utf8")) as { status?: string };
    return parsed.status === "installed" || parsed.status === "failed" || parsed.status === "rolled-back"
      ? parsed.status
      : undefined;
  } catch {
    return undefined;
  }
};
