import { run } from "../exec/run.js";
import { ZopsError } from "../errors/index.js";
import { lookupOsUser } from "../pg/os-user.js";

/**
 * Resolves a config file's owner/group names to ids (undefined: leave as the writing process); throws PRECONDITION for
 * an unknown name.
 */
export const resolveOwner = async (
  owner: string | undefined,
  group: string | undefined,
): Promise<{ uid?: number; gid?: number }> => {
  const result: { uid?: number; gid?: number } = {};
  if (owner) {
    const user = await lookupOsUser(owner);
    result.uid = user.uid;
    result.gid = user.gid;
  }
  if (group) {
    const entry = await run("getent", ["group", group], { reject: false });
    const gid = Number(entry.stdout.split(":")[2]);
    if (entry.failed || !Number.isInteger(gid))
      throw new ZopsError("PRECONDITION", `group '${group}' (named by the release manifest) does not exist`, {
        hint: "create it, or change the manifest's config entry",
      });
    result.gid = gid;
  }
  return result;
};
