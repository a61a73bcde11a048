import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { FileStorage } from "../../src/storage/file.js";
import { createTasks } from "../../src/ui/run-tasks.js";
import { secretsArchiveTask, type SecretsPartContext } from "../../tasks/secrets/archive.js";
import { checkSecretsTask, restoreSecretsTask, type SecretsRestoreContext } from "../../tasks/secrets/restore.js";
import { filesExpireTask, type FilesExpirePartContext } from "../../tasks/uploads/expire.js";
import { restoreUploadsTask, type UploadsRestoreContext } from "../../tasks/uploads/restore.js";
import { uploadsSnapshotTask, type UploadsPartContext } from "../../tasks/uploads/snapshot.js";
import { makeTempDir, removeTempDir } from "../support/temp.js";

type Ctx = UploadsPartContext &
  SecretsPartContext &
  FilesExpirePartContext &
  UploadsRestoreContext &
  SecretsRestoreContext;
const globals = { json: true, verbose: false };

describe("uploads and secrets Listr tasks", () => {
  let work: string;
  let identity: string;
  let recipient: string;

  beforeAll(async () => {
    work = await makeTempDir("files-tasks", { forPostgres: false });
    await mkdir(join(work, "uploads", "a"), { recursive: true });
    await writeFile(join(work, "uploads", "a", "one.txt"), "one");
    await writeFile(join(work, "secret.conf"), "password=hunter2");
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
    await writeFile(join(work, "key.txt"), `${identity}\n`);
  });
  afterAll(async () => removeTempDir(work));

  const configWith = (files: string) => parseConfig(`repository:\n  url: file://${work}/repo\n${files}`, "zops.yml");

  it("skip with a reason when nothing is configured", async () => {
    const config = configWith("");
    const storage = new FileStorage(join(work, "repo-empty"));
    const ctx: Ctx = {};
    await createTasks<Ctx>(
      [
        uploadsSnapshotTask(storage, config),
        secretsArchiveTask(storage, config),
        filesExpireTask(storage, config, { keepSince: () => undefined, dryRun: false }),
      ],
      globals,
    ).run(ctx);
    expect(ctx.uploads?.skipped).toBe("no uploads.paths configured");
    expect(ctx.secrets?.skipped).toBe("no secrets.paths configured");
    expect(ctx.filesExpire?.skipped).toMatch(/no database backup/);
  });

  it("run snapshot, archive, expire and restores; a failing part does not stop the others", async () => {
    const config = configWith(
      `uploads:\n  paths: [${work}/uploads]\nsecrets:\n  paths: [${work}/secret.conf]\n  recipients: [${recipient}]\n`,
    );
    const storage = new FileStorage(join(work, "repo"));
    const ctx: Ctx = {};
    await createTasks<Ctx>(
      [
        uploadsSnapshotTask(storage, config),
        secretsArchiveTask(storage, config),
        filesExpireTask(storage, config, { keepSince: () => new Date(0), dryRun: false }),
      ],
      globals,
      { exitOnError: false },
    ).run(ctx);
    expect(ctx.uploads?.result?.stats.files).toBe(1);
    expect(ctx.secrets?.result?.files).toBe(1);
    expect(ctx.filesExpire?.uploads?.kept).toEqual([ctx.uploads?.result?.id]);

    const restore: Ctx = {};
    await createTasks<Ctx>(
      [
        restoreUploadsTask(storage, { snapshot: "latest", targetDir: join(work, "out") }),
        restoreSecretsTask(storage, {
          archive: "latest",
          targetDir: join(work, "out-secrets"),
          identityFile: join(work, "key.txt"),
        }),
      ],
      globals,
    ).run(restore);
    expect(restore.uploadsRestore?.result?.files).toBe(1);
    expect(restore.secretsRestore?.result?.files).toEqual([join(work, "secret.conf").slice(1)]);
    const check: Ctx = {};
    await createTasks<Ctx>([checkSecretsTask(storage, { archive: "latest" })], globals).run(check);
    expect(check.secretsRestore?.check?.ok).toBe(true);

    const broken = configWith(
      `uploads:\n  paths: [${work}/missing]\nsecrets:\n  paths: [${work}/secret.conf]\n  recipients: [${recipient}]\n`,
    );
    const partial: Ctx = {};
    await createTasks<Ctx>([uploadsSnapshotTask(storage, broken), secretsArchiveTask(storage, broken)], globals, {
      exitOnError: false,
    })
      .run(partial)
      .catch(() => undefined);
    expect(partial.uploads?.error).toMatchObject({ code: "PRECONDITION" });
    expect(partial.secrets?.result?.files).toBe(1);
  });
});
