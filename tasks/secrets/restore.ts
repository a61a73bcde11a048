import type { ListrTask } from "listr2";
import { checkSecretsArchive, type SecretsCheckReport } from "../../src/secrets/check.js";
import { restoreSecrets, type RestoreSecretsResult } from "../../src/secrets/restore.js";
import { ZopsError } from "../../src/errors/index.js";
import type { Storage } from "../../src/storage/storage.js";

/** What a secrets restore or check leaves in the command context. */
export interface SecretsRestoreContext {
  secretsRestore?: { result?: RestoreSecretsResult; check?: SecretsCheckReport; error?: unknown };
}

/**
 * `zops restore --secrets-to DIR --identity FILE` as a Listr task: decrypts and writes files with mode 0600 and their
 * owner. Output names the count only.
 */
export const restoreSecretsTask = <Ctx extends SecretsRestoreContext>(
  storage: Storage,
  options: { archive: string; targetDir: string; identityFile: string },
): ListrTask<Ctx> => ({
  title: `Restore secrets ${options.archive} to ${options.targetDir}`,
  task: async (ctx, task) => {
    const part: NonNullable<SecretsRestoreContext["secretsRestore"]> = {};
    ctx.secretsRestore = part;
    try {
      part.result = await restoreSecrets(storage, options.archive, options.targetDir, options.identityFile);
      task.title =
        `Restored secrets archive ${part.result.id} to ` +
        `${options.targetDir}: ${part.result.files.length} files, mode 0600`;
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});

/**
 * Integrity check of a secrets archive without an identity (for the drill when no --identity is given) as a Listr task;
 * fails with VERIFY_FAILED listing the problems.
 */
export const checkSecretsTask = <Ctx extends SecretsRestoreContext>(
  storage: Storage,
  options: { archive: string },
): ListrTask<Ctx> => ({
  title: `Check secrets archive ${options.archive} (no identity: checksum and age header)`,
  task: async (ctx, task) => {
    const part: NonNullable<SecretsRestoreContext["secretsRestore"]> = {};
    ctx.secretsRestore = part;
    part.check = await checkSecretsArchive(storage, options.archive);
    if (!part.check.ok) {
      part.error = new ZopsError(
        "VERIFY_FAILED",
        `secrets archive ${part.check.id}: ${part.check.problems.join("; ")}`,
        { hint: "archive a fresh copy with `zops backup`; restore an older archive if this one is needed" },
      );
      throw part.error;
    }
    const { id, stanzas } = part.check;
    task.title = `Secrets archive ${id}: checksum and age header OK (${stanzas} recipient stanza(s))`;
  },
});
