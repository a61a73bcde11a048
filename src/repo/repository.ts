import { ZopsError, isZopsError } from "../errors/index.js";
import { getBuffer, putJson } from "../storage/read.js";
import type { Storage } from "../storage/storage.js";
import { CLUSTER_KEY, FORMAT_NAME, FORMAT_VERSION, MARKER_KEY } from "./layout.js";

/** Contents of `zops-repository.json`. */
export interface RepositoryMarker {
  readonly format: typeof FORMAT_NAME;
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** Contents of `cluster.json`: the one PostgreSQL cluster this repository accepts. */
export interface ClusterIdentity {
  readonly systemIdentifier: string;
  readonly pgVersion: number;
  readonly recordedAt: string;
}

const readJson = async <T>(storage: Storage, key: string): Promise<T | undefined> => {
  let data: Buffer;
  try {
    data = await getBuffer(storage, key);
  } catch (error) {
    if (isZopsError(error, "STORAGE_NOT_FOUND")) return undefined;
    throw error;
  }
  try {
    return JSON.parse(data.toString("utf8")) as T;
  } catch (error) {
    throw new ZopsError("REPO_INVALID", `'${key}' in repository '${storage.location}' is not valid JSON`, {
      hint: "the repository is damaged or not a zops repository; run `zops verify`",
      cause: error,
    });
  }
};

/** Reads and checks the repository marker; throws REPO_INVALID when missing, foreign or of a newer format. */
export const openRepository = async (storage: Storage): Promise<RepositoryMarker> => {
  const marker = await readJson<RepositoryMarker>(storage, MARKER_KEY);
  if (!marker) {
    throw new ZopsError("REPO_INVALID", `no zops repository at '${storage.location}' (missing ${MARKER_KEY})`, {
      hint: "create it with `zops repo init`, or fix repository.url",
    });
  }
  if (marker.format !== FORMAT_NAME) {
    throw new ZopsError(
      "REPO_INVALID",
      `'${storage.location}' holds a '${String(marker.format)}' marker, not a zops repository`,
      { hint: "point repository.url at a zops repository" },
    );
  }
  if (marker.version > FORMAT_VERSION) {
    throw new ZopsError(
      "REPO_INVALID",
      `repository '${storage.location}' has format version ${marker.version}; this zops reads up to ${FORMAT_VERSION}`,
      { hint: "upgrade zops" },
    );
  }
  return marker;
};

/** Creates the marker object (caller checks the location is empty first). */
export const writeMarker = async (storage: Storage): Promise<RepositoryMarker> => {
  const marker: RepositoryMarker = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    createdBy: "zops",
  };
  await putJson(storage, MARKER_KEY, marker);
  return marker;
};

/** Reads the recorded cluster identity, or undefined before the first wal-push/backup. */
export const readClusterIdentity = (storage: Storage): Promise<ClusterIdentity | undefined> =>
  readJson<ClusterIdentity>(storage, CLUSTER_KEY);

/**
 * Records the cluster on first use, and afterwards refuses any other cluster (REPO_INVALID naming both system
 * identifiers). Idempotent.
 */
export const ensureClusterIdentity = async (
  storage: Storage,
  systemIdentifier: string,
  pgVersion: number,
): Promise<ClusterIdentity> => {
  const recorded = await readClusterIdentity(storage);
  if (!recorded) {
    const identity: ClusterIdentity = { systemIdentifier, pgVersion, recordedAt: new Date().toISOString() };
    await putJson(storage, CLUSTER_KEY, identity);
    return identity;
  }
  if (recorded.systemIdentifier !== systemIdentifier) {
    throw new ZopsError(
      "REPO_INVALID",
      `repository '${storage.location}' belongs to PostgreSQL cluster ` +
        `${recorded.systemIdentifier}, not to this cluster ` +
        `(${systemIdentifier})`,
      {
        hint:
          "each cluster needs its own repository: point repository.url " +
          "elsewhere (a restored or re-initdb'd cluster gets a new system " +
          "identifier)",
      },
    );
  }
  if (recorded.pgVersion !== pgVersion) {
    throw new ZopsError(
      "REPO_INVALID",
      `repository '${storage.location}' holds PostgreSQL ` +
        `${recorded.pgVersion} data, this cluster is PostgreSQL ` +
        `${pgVersion}`,
      {
        hint: "after a major upgrade, start a new repository",
      },
    );
  }
  return recorded;
};
