import { readFile } from "node:fs/promises";
import { identityToRecipient } from "age-encryption";
import { ZopsError } from "../errors/index.js";

/** Identities read from a file, with their public recipients (for messages). */
export interface LoadedIdentities {
  readonly identities: string[];
  readonly recipients: string[];
}

/**
 * Reads age identities (lines starting AGE-SECRET-KEY-, as written by age-keygen; comments and blank lines ignored).
 * Throws NOT_FOUND/PRECONDITION naming the file; never puts key material into a message.
 */
export const readIdentityFile = async (path: string): Promise<LoadedIdentities> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ZopsError(
      code === "ENOENT" ? "NOT_FOUND" : "PRECONDITION",
      `unable to read identity file '${path}' (${code ?? "error"})`,
      { hint: "pass the age identity file (AGE-SECRET-KEY-1...) that matches secrets.recipients with --identity" },
    );
  }
  const identities = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("AGE-SECRET-KEY-"));
  if (identities.length === 0) {
    throw new ZopsError(
      "PRECONDITION",
      `identity file '${path}' holds no age identity (no line starting with AGE-SECRET-KEY-)`,
      { hint: "use the file written by `age-keygen -o FILE`" },
    );
  }
  const recipients: string[] = [];
  for (const [index, identity] of identities.entries()) {
    try {
      recipients.push(await identityToRecipient(identity));
    } catch {
      throw new ZopsError("PRECONDITION", `identity file '${path}': identity #${index + 1} is malformed`, {
        hint: "the AGE-SECRET-KEY-1... line is damaged; use an intact copy of the key",
      });
    }
  }
  return { identities, recipients };
};
