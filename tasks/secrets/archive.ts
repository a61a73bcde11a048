import type { ListrTask } from "listr2";
import type { ZopsConfig } from "../../src/config/index.js";
import { createSecretsArchive, type SecretsArchiveResult } from "../../src/secrets/archive.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";

/** What the secrets part of `zops backup` leaves in the command context. */
export interface SecretsPartContext {
  secrets?: { result?: SecretsArchiveResult; skipped?: string; error?: unknown };
}

/**
 * The secrets part of `zops backup` as one Listr task: skipped (with the reason) when secrets.paths is empty or
 * `disabled` says so; fails with CONFIG_INVALID when paths are set without recipients. Output and errors name files and
 * counts only, never contents. The library deletes the ciphertext itself when its manifest cannot be written, so there
 * is nothing for a rollback to undo.
 */
export const secretsArchiveTask = <Ctx extends SecretsPartContext>(
  storage: Storage,
  config: Pick<ZopsConfig, "secrets">,
  options: { disabled?: string } = {},
): ListrTask<Ctx> => ({
  title: "Secrets archive",
  skip: (ctx) => {
    const reason = options.disabled ?? (config.secrets.paths.length === 0 ? "no secrets.paths configured" : false);
    if (reason) ctx.secrets = { skipped: reason };
    return reason;
  },
  task: async (ctx, task) => {
    const part: NonNullable<SecretsPartContext["secrets"]> = {};
    ctx.secrets = part;
    try {
      const { paths, recipients } = config.secrets;
      task.output = `encrypting ${paths.length} path(s) to ${recipients.length} recipient(s)`;
      part.result = await createSecretsArchive(storage, config.secrets.paths, config.secrets.recipients);
      task.title =
        `Secrets archive ${part.result.id}: ${part.result.files} files, ` +
        `${formatBytes(part.result.size)} encrypted to ` +
        `${config.secrets.recipients.length} recipient(s)`;
    } catch (error) {
      part.error = error;
      throw error;
    }
  },
});
