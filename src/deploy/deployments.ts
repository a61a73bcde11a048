import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { DeployPaths } from "./paths.js";
import { MANIFEST_NAME, parseReleaseManifest } from "./release-manifest.js";
import { readDeploymentStatus } from "./deployment-status.js";
import { readSymlink } from "./symlink.js";

const NAME = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}(?:-\d+)?$/;

/** What a deployment is now: pointed at by a link, or what happened to it. */
export type DeploymentStatus = "current" | "last" | "next" | "previous" | "failed" | "rolled back" | "abandoned";

/** One deployment directory and what points at it. */
export interface DeploymentInfo {
  readonly name: string;
  readonly path: string;
  readonly version: string | undefined;
  readonly releaseName: string | undefined;
  readonly marks: readonly ("current" | "last" | "next")[];
  /**
   * current/last/next when a link points at it; else failed (its upgrade was rolled back), rolled back (zops rollback
   * moved away from it), previous (it ran once), or abandoned (it never ran: an interrupted or superseded upgrade).
   */
  readonly status: DeploymentStatus;
  readonly createdAt: Date;
}

/**
 * A deployment directory name for `now`: UTC `YYYY-MM-DD-HH-MM-SS`, with `-N` added when taken (pure given `taken`).
 */
export const deploymentName = (now: Date, taken: ReadonlySet<string>): string => {
  const base = now.toISOString().slice(0, 19).replace(/[T:]/g, "-");
  if (!taken.has(base)) return base;
  for (let index = 2; ; index += 1) if (!taken.has(`${base}-${index}`)) return `${base}-${index}`;
};

/** Names of deployment directories (timestamp-named only), oldest first. */
export const deploymentNames = async (paths: DeployPaths): Promise<string[]> =>
  (await readdir(paths.deployments).catch(() => [] as string[]))
    .filter((name) => NAME.test(name))
    .sort((a, b) => {
      const [ta, na] = splitName(a);
      const [tb, nb] = splitName(b);
      return ta === tb ? na - nb : ta < tb ? -1 : 1;
    });

const splitName = (name: string): [string, number] => [name.slice(0, 19), Number(name.slice(20) || "1")];

/** Reads the release manifest of an unpacked deployment, or undefined when it is unreadable. */
export const readDeploymentManifest = async (path: string) => {
  try {
    return parseReleaseManifest(await readFile(join(path, MANIFEST_NAME), "utf8"), join(path, MANIFEST_NAME));
  } catch {
    return undefined;
  }
};

/** Where current, last and next point (absolute paths). */
export interface Links {
  readonly current: string | undefined;
  readonly last: string | undefined;
  readonly next: string | undefined;
}

/** Reads the three links. */
export const readLinks = async (paths: DeployPaths): Promise<Links> => ({
  current: await readSymlink(paths.current),
  last: await readSymlink(paths.last),
  next: await readSymlink(paths.next),
});

/** Lists deployments, oldest first, with version and current/last/next marks. */
export const listDeployments = async (paths: DeployPaths): Promise<DeploymentInfo[]> => {
  const links = await readLinks(paths);
  const result: DeploymentInfo[] = [];
  for (const name of await deploymentNames(paths)) {
    const path = join(paths.deployments, name);
    const manifest = await readDeploymentManifest(path);
    const marks = (["current", "last", "next"] as const).filter(
      (mark) => links[mark] !== undefined && basename(links[mark] ?? "") === name,
    );
    const recorded = await readDeploymentStatus(path);
    const status: DeploymentStatus =
      marks[0] ??
      (recorded === "failed"
        ? "failed"
        : recorded === "rolled-back"
          ? "rolled back"
          : recorded === "installed"
            ? "previous"
            : "abandoned");
    result.push({
      name,
      path,
      version: manifest?.version,
      releaseName: manifest?.name,
      marks,
      status,
      createdAt: (await stat(path)).mtime,
    });
  }
  return result;
};

/**
 * Deletes deployments beyond the newest `keep`, never one current/last/next points at; returns the names deleted.
 * Idempotent.
 */
export const purgeDeployments = async (paths: DeployPaths, keep: number): Promise<string[]> => {
  const links = await readLinks(paths);
  const protectedNames = new Set(
    [links.current, links.last, links.next]
      .filter((link): link is string => link !== undefined)
      .map((link) => basename(link)),
  );
  const names = await deploymentNames(paths);
  const candidates = names.filter((name) => !protectedNames.has(name));
  const doomed = candidates.slice(0, Math.max(0, candidates.length - keep));
  for (const name of doomed) await rm(join(paths.deployments, name), { recursive: true, force: true });
  return doomed;
};

/**
 * Deletes abandoned deployments (never ran, no link points at them); returns the names deleted. Idempotent; the caller
 * holds the deploy lock.
 */
export const pruneAbandoned = async (paths: DeployPaths): Promise<string[]> => {
  const doomed = (await listDeployments(paths)).filter((entry) => entry.status === "abandoned");
  for (const entry of doomed) await rm(entry.path, { recursive: true, force: true });
  return doomed.map((entry) => entry.name);
};
