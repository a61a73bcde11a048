import { readFile } from "node:fs/promises";
import { ZopsError } from "../errors/index.js";

/** A numeric OS identity to run child processes as. */
export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Looks up an OS user's uid and gid: in /etc/passwd, else with `id NAME` (through NSS, so LDAP/SSSD users work too; the
 * child process and execa load only then); throws PRECONDITION when the user does not exist.
 */
export const lookupOsUser = async (name: string): Promise<OsUser> => {
  const passwd = await readFile("/etc/passwd", "utf8").catch(() => "");
  const entry = passwd
    .split("\n")
    .find((line) => line.startsWith(`${name}:`))
    ?.split(":");
  if (entry && /^\d+$/.test(entry[2] ?? "") && /^\d+$/.test(entry[3] ?? ""))
    return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  const { run } = await import("../exec/run.js");
  const result = await run("id", [name], { reject: false, env: { LC_ALL: "C" } });
  const uid = /\buid=(\d+)/.exec(result.stdout)?.[1];
  const gid = /\bgid=(\d+)/.exec(result.stdout)?.[1];
  if (result.failed || uid === undefined || gid === undefined) {
    throw new ZopsError("PRECONDITION", `OS user '${name}' does not exist`, {
      hint: `create it (adduser --system ${name}) or run as that user`,
    });
  }
  return { name, uid: Number(uid), gid: Number(gid) };
};

/** The identity PostgreSQL tools must run as: `postgres` when we are root (PostgreSQL refuses root), else ourselves. */
export const postgresRunAs = async (): Promise<OsUser | undefined> =>
  process.getuid?.() === 0 ? lookupOsUser("postgres") : undefined;
