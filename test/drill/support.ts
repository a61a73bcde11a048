import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { meta as backupMeta, runBackup } from "../../src/commands/backup.js";
import { resultStatus } from "../../src/commands/exits.js";
import type { Storage } from "../../src/storage/storage.js";
import type { GlobalOptions } from "../../src/commands/command.js";
import { startCluster, type TestCluster } from "../support/postgres.js";
import { makeTempDir } from "../support/temp.js";
import { archiveCommand, storageOf, waitArchived, writeTestConfig, type WalTestConfig } from "../wal/support.js";

/** A production-like setup: an archiving cluster with app data, uploads, secrets, and a repository. */
export interface DrillFixture {
  readonly cluster: TestCluster;
  readonly config: WalTestConfig;
  readonly storage: Storage;
  readonly globals: GlobalOptions;
  readonly uploadsDir: string;
  readonly identityFile: string;
  readonly secretText: string;
  /** Writes rows, switches WAL and waits until the segment is archived; returns its name. */
  writeAndArchive(rows: number): Promise<string>;
  destroy(): Promise<void>;
}

/** Starts the fixture on `repository` (file or s3 section); `env` reaches archive_command (S3 credentials). */
export const startDrillFixture = async (
  repository: Record<string, unknown>,
  env?: Record<string, string>,
): Promise<DrillFixture> => {
  const work = await makeTempDir("drill-src");
  const uploadsDir = join(work, "uploads");
  await mkdir(join(uploadsDir, "avatars"), { recursive: true });
  for (let index = 0; index < 30; index += 1)
    await writeFile(join(uploadsDir, "avatars", `user-${index}.png`), `avatar ${index} `.repeat(50 + index));
  const secretText = `SECRET_KEY=${"s3cr3t-".repeat(4)}${Date.now()}`;
  const secretFile = join(work, "zulip-secrets.conf");
  await writeFile(secretFile, `[secrets]\n${secretText}\n`, { mode: 0o600 });
  const identity = await generateX25519Identity();
  const identityFile = join(work, "drill.agekey");
  await writeFile(identityFile, `${identity}\n`, { mode: 0o600 });

  const cluster = await startCluster({
    start: false,
    env,
    settings: { archive_mode: "on", archive_timeout: 0, max_wal_size: "'256MB'" },
  });
  const config = await writeTestConfig(repository, {
    postgres: { ...cluster.postgresConfig },
    backup: { processes: 2, archiveTimeoutSeconds: 60 },
    uploads: { paths: [uploadsDir] },
    secrets: { paths: [secretFile], recipients: [await identityToRecipient(identity)] },
  });
  await cluster.configure({ archive_command: archiveCommand(config) });
  await cluster.start();
  await cluster.query("create database app");
  await cluster.query(
    "create table messages (id serial primary key, sender text, body text, sent timestamptz default now())",
    [],
    "app",
  );
  await cluster.query("create index on messages (sender)", [], "app");
  const storage = await storageOf(config);
  const writeAndArchive = async (rows: number) => {
    await cluster.query(
      "insert into messages (sender, body) select 'user' || (g % 7), md5(g::text) from generate_series(1, $1) g",
      [rows],
      "app",
    );
    const [row] = await cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
    await waitArchived(cluster, row?.name ?? "");
    return row?.name ?? "";
  };
  await writeAndArchive(2000);
  return {
    cluster,
    config,
    storage,
    globals: { config: config.path, json: true, verbose: false },
    uploadsDir,
    identityFile,
    secretText,
    writeAndArchive,
    destroy: async () => {
      await cluster.destroy();
      await storage.close?.();
    },
  };
};

/** The parts of `zops backup --json` the drill tests read. */
export interface NightlyJson {
  ok: boolean;
  failedParts: { part: string }[];
  database?: { id: string; walStop: string };
  fingerprints?: { tables: number; lsn: string };
  uploads?: { id?: string; skipped?: string };
  secrets?: { id?: string };
}

/** Runs the nightly job and returns its JSON result and exit status. */
export const nightly = async (fixture: DrillFixture): Promise<{ exitCode: number; json: NightlyJson }> => {
  const result = await runBackup(fixture.globals, { type: "full" });
  return { exitCode: resultStatus(backupMeta.exits, result), json: result.json as NightlyJson };
};
