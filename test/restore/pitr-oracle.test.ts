import { afterAll, beforeAll, describe, it } from "vitest";
import { runBackup } from "../../src/commands/backup.js";
import { runMark } from "../../src/commands/mark.js";
import { runRestore } from "../../src/commands/restore.js";
import { restoredServer, startBackupFixture, type BackupFixture } from "../backup/support.js";
import { CLIENT_MAJOR, testMajor } from "../support/pg-majors.js";
import { waitArchived } from "../wal/support.js";

// The PITR oracle: full and incremental backups interleaved with numbered one-row commits, restore points and
// pauses. Every target (time, LSN, restore point name, immediate) is restored WITHOUT --backup, started, and the
// restored rows must be exactly the commits made before the target, from the newest backup consistent at or before
// it. Times and LSNs come from the server (clock_timestamp(), pg_current_wal_insert_lsn()), never the test's clock.

type Kind = "time" | "lsn" | "name";
/** Where a target is taken in a round: after the round's first write, just before its backup, just after it. */
type Position = "mid" | "before-backup" | "after-backup";
const POSITIONS: readonly Position[] = ["mid", "before-backup", "after-backup"];
const KINDS: readonly Kind[] = ["time", "lsn", "name"];
// The full oracle on the main test major; the other majors of the CI matrix (.ci/run) run two chains, to stay within
// CI's time budget (each round costs a backup and four restores).
const ROUNDS = testMajor() === CLIENT_MAJOR ? 12 : 5;
// Chains of a full, then three incrementals.
const TYPES = Array.from({ length: ROUNDS }, (_, round) => (round % 4 === 0 ? "full" : "incr"));

interface Target {
  readonly label: string;
  readonly kind: Kind | "immediate";
  readonly round: number;
  value?: string;
  /** Rows committed before the target: the restore must hold exactly 1..rows. */
  rows?: number;
  /** The backup a correct selection picks (the newest taken before the target). */
  backup?: string;
  /** Set by immediate targets: restored right after their backup, before anything else is written. */
  outcome?: { ids: number[]; backup?: string; stoppedAt?: string };
}

// The schedule is fixed before the run so each target is its own test; the values are filled in by beforeAll.
const targets: Target[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  KINDS.forEach((kind, index) => {
    const position = POSITIONS[(round + index) % POSITIONS.length] as Position;
    targets.push({ label: `${kind} in round ${round} (${position})`, kind, round });
  });
  targets.push({ label: `immediate after the backup of round ${round}`, kind: "immediate", round });
}
const positionOf = (target: Target): Position =>
  POSITIONS[(target.round + KINDS.indexOf(target.kind as Kind)) % POSITIONS.length] as Position;

let fixture: BackupFixture;
let written = 0;
let beforeFirstBackup = "";
const backups: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const write = async () => {
  written += 1;
  await fixture.cluster.query("insert into oracle values ($1)", [written]);
  await sleep(20);
};

const restoreAndRead = async (label: string, target: Record<string, unknown>) => {
  const server = await restoredServer(fixture.cluster, label);
  try {
    const result = await runRestore(fixture.globals, { to: server.dir, start: true, set: server.sets, ...target });
    const json = result.json as { backup?: string; recovery?: { stoppedAt?: string } };
    const rows = await server.query<{ id: number }>("select id from oracle order by id");
    return { ids: rows.map((row) => row.id), backup: json.backup, stoppedAt: json.recovery?.stoppedAt };
  } finally {
    await server.stop();
  }
};

const takeTarget = async (target: Target) => {
  target.rows = written;
  target.backup = backups.at(-1);
  if (target.kind === "time") {
    const [row] = await fixture.cluster.query<{ t: string }>("select clock_timestamp()::text as t");
    target.value = row?.t;
  } else if (target.kind === "lsn") {
    const [row] = await fixture.cluster.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn");
    target.value = row?.lsn;
  } else if (target.kind === "name") {
    target.value = `oracle-${target.round}-${positionOf(target)}`;
    await runMark(fixture.globals, target.value);
  }
  await sleep(20);
};

const targetsAt = (round: number, position: Position) =>
  targets.filter((target) => target.round === round && target.kind !== "immediate" && positionOf(target) === position);

beforeAll(async () => {
  // Every chain kept: expire would otherwise remove the first chains the early targets need.
  fixture = await startBackupFixture({ backup: { retention: { full: ROUNDS } } });
  await fixture.cluster.query("create table oracle (id int primary key)");
  await write();
  [{ t: beforeFirstBackup = "" } = { t: "" }] = await fixture.cluster.query<{ t: string }>(
    "select clock_timestamp()::text as t",
  );
  await write();
  for (let round = 0; round < ROUNDS; round += 1) {
    await write();
    for (const target of targetsAt(round, "mid")) await takeTarget(target);
    await write();
    for (const target of targetsAt(round, "before-backup")) await takeTarget(target);
    const result = await runBackup(fixture.globals, { type: TYPES[round] });
    backups.push((result.json as { database: { id: string } }).database.id);
    const immediate = targets.find((target) => target.kind === "immediate" && target.round === round) as Target;
    immediate.rows = written;
    immediate.backup = backups.at(-1);
    immediate.outcome = await restoreAndRead(`oracle-immediate-${round}`, { targetImmediate: true });
    for (const target of targetsAt(round, "after-backup")) await takeTarget(target);
  }
  // A commit after every target (a time target ends at the first commit after it), then archive it all.
  await write();
  const [row] = await fixture.cluster.query<{ name: string }>("select pg_walfile_name(pg_switch_wal()) as name");
  await waitArchived(fixture.cluster, row?.name ?? "");
}, 600_000);

afterAll(async () => {
  await fixture?.destroy();
});

const optionOf = (target: Target): Record<string, unknown> =>
  target.kind === "time"
    ? { targetTime: target.value }
    : target.kind === "lsn"
      ? { targetLsn: target.value }
      : target.kind === "name"
        ? { targetName: target.value }
        : { targetImmediate: true };

const range = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

// The restores are independent (each into its own directory, on its own port): a few run at once, since each mostly
// waits on process start-ups and recovery (vitest's maxConcurrency bounds them).
describe("PITR oracle: restore without --backup, for every kind of target", { timeout: 180_000 }, () => {
  it.concurrent.for(targets.map((target) => [target.label, target] as const))("%s", async ([, target], { expect }) => {
    if (target.backup === undefined) {
      // Before the first backup: nothing can restore it, and the refusal names the oldest backup.
      const error = await restoreAndRead(`oracle-${target.kind}-${target.round}`, optionOf(target)).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: "PRECONDITION" });
      expect(String((error as Error).message)).toContain(backups[0]);
      return;
    }
    const outcome = target.outcome ?? (await restoreAndRead(`oracle-${target.kind}-${target.round}`, optionOf(target)));
    expect({ ids: outcome.ids, backup: outcome.backup }).toEqual({
      ids: range(target.rows ?? -1),
      backup: target.backup,
    });
  });

  it.concurrent("refuses a time target before the first backup, naming the oldest backup", async ({ expect }) => {
    const error = await restoreAndRead("oracle-too-early", { targetTime: beforeFirstBackup }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: "PRECONDITION" });
    expect(String((error as Error).message)).toContain(backups[0]);
  });
});
