import { Parser } from "tar";
import { ZopsError } from "../errors/index.js";

/** One entry of a decrypted secrets tar, in memory. */
export interface SecretEntry {
  readonly path: string;
  readonly type: "file" | "dir";
  readonly uid: number;
  readonly gid: number;
  readonly mtime?: Date;
  readonly content: Buffer;
}

/**
 * Parses a tar held in memory into file and directory entries; rejects absolute or `..` paths and anything else
 * (VERIFY_FAILED, naming no content).
 */
export const parseSecretsTar = (tar: Buffer, where: string): Promise<SecretEntry[]> =>
  new Promise((resolve, reject) => {
    const entries: SecretEntry[] = [];
    let failure: ZopsError | undefined;
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        const parts = entry.path.split("/").filter((part) => part !== "");
        const type = entry.type === "File" ? "file" : entry.type === "Directory" ? "dir" : undefined;
        if (!type || entry.path.startsWith("/") || parts.some((part) => part === "." || part === "..")) {
          failure ??= new ZopsError("VERIFY_FAILED", `${where}: unexpected tar entry of type ${entry.type}`, {
            hint: "the archive was not written by zops",
          });
          entry.resume();
          return;
        }
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () =>
          entries.push({
            path: parts.join("/"),
            type,
            uid: entry.uid ?? 0,
            gid: entry.gid ?? 0,
            mtime: entry.mtime,
            content: Buffer.concat(chunks),
          }),
        );
      },
    });
    parser.on("error", (error: Error) =>
      reject(new ZopsError("VERIFY_FAILED", `${where}: the decrypted archive is not a valid tar (${error.message})`)),
    );
    parser.on("end", () => (failure ? reject(failure) : resolve(entries)));
    parser.end(tar);
  });
