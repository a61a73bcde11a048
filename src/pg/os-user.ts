import { ZopsError } from "../errors/index.js";
import { run } from "../exec/run.js";

/** A numeric OS identity to run child processes as. */
export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

// Looks up an OS user's uid and gid (via `id`); throws PRECONDITION when the user does not exist.
export const lookupOsUser = async (name: string): Promise<OsUser> => {
  const uid = await run("id", ["-u", name], { reject: false });
  const gid = await run("id", ["-g", name], { reject: false });
  if (uid.failed || gid.failed) {
    throw new ZopsError("PRECONDITION", `OS user '${name}' does not exist`, { hint: `create it (adduser --system ${name}) or run as that user` });
  }
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
};

// The identity PostgreSQL tools must run as: `postgres` when we are root (PostgreSQL refuses root), else ourselves.
export const postgresRunAs = async (): Promise<OsUser | undefined> =>
  process.getuid?.() === 0 ? lookupOsUser("postgres") : undefined;
