import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import { ZopsError } from "../errors/index.js";

/** What the control file and PG_VERSION say about a cluster, read without a database connection. */
export interface ControlFileFacts {
  /** pg_control's system identifier, as a decimal string (it is a 64-bit unsigned integer). */
  readonly systemIdentifier: string;
  /** Major version from PG_VERSION (15, 16, ...). */
  readonly pgVersion: number;
}

/**
 * Reads the system identifier (first 8 bytes of global/pg_control, host byte order) and PG_VERSION; throws PRECONDITION
 * naming the data directory when they are unreadable. Read-only, ~0.1 ms (pg_controldata would cost a process start).
 */
export const readControlFileFacts = async (dataDir: string): Promise<ControlFileFacts> => {
  let control: Buffer;
  let version: string;
  try {
    [control, version] = await Promise.all([
      readFile(join(dataDir, "global", "pg_control")),
      readFile(join(dataDir, "PG_VERSION"), "utf8"),
    ]);
  } catch (error) {
    throw new ZopsError(
      "PRECONDITION",
      `unable to read the cluster identity in '${dataDir}': ${(error as Error).message}`,
      {
        hint:
          "wal-push must run from the data directory (archive_command " +
          "gets a relative %p) or postgres.dataDir must point at it, " +
          "readable by the postgres OS user",
        cause: error,
      },
    );
  }
  const pgVersion = Number.parseInt(version.trim(), 10);
  if (control.length < 16 || !Number.isInteger(pgVersion)) {
    throw new ZopsError(
      "PRECONDITION",
      `'${join(dataDir, "global", "pg_control")}' or PG_VERSION is not a PostgreSQL control file`,
      { hint: "point postgres.dataDir at a PostgreSQL data directory" },
    );
  }
  const id = endianness() === "LE" ? control.readBigUInt64LE(0) : control.readBigUInt64BE(0);
  return { systemIdentifier: id.toString(), pgVersion };
};
