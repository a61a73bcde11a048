import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { ZopsError } from "../errors/index.js";
import { crashPoint } from "../fault/crash-point.js";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import type { FileBackup } from "./file-backup.js";

/** What the critical section did so far, in order; each record says how to undo one step. */
export type UndoRecord =
  /** The release was moved from staging into `deployment` and `next` pointed at it: undo points next back. */
  | { readonly kind: "deployment-installed"; readonly deployment: string; readonly previousNext: string | undefined }
  /** The old service was stopped: undo starts it (in `deployment`) and health-checks it. */
  | { readonly kind: "service-stopped"; readonly deployment: string | undefined }
  /** Files were (about to be) overwritten: undo puts the backups back. */
  | { readonly kind: "files"; readonly files: readonly FileBackup[] }
  /**
   * Migrations (about to be) applied from `dir` in one transaction (`xid` once it began) or, `direction` "down",
   * reverted; undo asks PostgreSQL for that transaction's outcome and reverts a committed one (down steps of `names`,
   * or the restore point).
   */
  | {
      readonly kind: "migrations";
      readonly direction: "up" | "down";
      readonly dir: string;
      readonly names: readonly string[];
      readonly restorePoint: string | undefined;
      readonly xid?: string;
    }
  /** The database is (about to be) replaced by the restore point `file` (a rollback with --migrations down). */
  | { readonly kind: "restore-point-restored"; readonly file: string }
  /** The links were switched: undo points them back. */
  | { readonly kind: "links"; readonly current: string | undefined; readonly last: string | undefined }
  /** The new service was (about to be) started: undo stops it. */
  | { readonly kind: "service-started"; readonly deployment: string };

/** Progress of undoing one record (so a killed recovery resumes where it stopped). */
export interface UndoProgress {
  readonly index: number;
  /** Restore point restore: "restoring" into `scratch` (redo from scratch), "swapping" (complete; rename in place). */
  readonly phase?: "restoring" | "swapping";
  /** Transaction id of a down-migration run of this undo. */
  readonly xid?: string;
}

/** The write-ahead journal of one critical section (`<root>/.zops/journal.json`). */
export interface Journal {
  readonly format: 2;
  /** Tags the run's database sessions (application_name `zops-<runId>`) and its scratch databases. */
  readonly runId: string;
  readonly command: "upgrade" | "rollback";
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly fromDeployment: string | undefined;
  readonly fromVersion: string | undefined;
  readonly toDeployment: string;
  readonly toVersion: string;
  readonly undo: UndoRecord[];
  /** Indexes of `undo` records already undone (newest first order of undoing). */
  readonly undone: number[];
  /** The undo step in progress, if any. */
  undoing?: UndoProgress | undefined;
}

/** A journal being written: `record` persists before the step it describes runs. */
export interface JournalWriter {
  readonly journal: Journal;
  /** Appends a record and persists it (atomic, fsync) before returning. */
  record(entry: UndoRecord): Promise<void>;
  /** Replaces the newest record (adds what was learned while its step runs, e.g. the transaction id); persists. */
  amendLast(entry: UndoRecord): Promise<void>;
  /** Persists undo progress. */
  progress(undoing: UndoProgress | undefined, done?: number): Promise<void>;
  /** Deletes the journal: the critical section ended (done or undone). */
  close(): Promise<void>;
}

/** A new run id: 12 hex characters. */
export const newRunId = (): string => randomBytes(6).toString("hex");

/** The application_name of every database session a run opens (found and ended by a later recovery). */
export const sessionTag = (runId: string): string => `zops-${runId}`;

const writerFor = (path: string, journal: Journal): JournalWriter => {
  const save = () => writeFileAtomic(path, `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
  return {
    journal,
    record: async (entry) => {
      journal.undo.push(entry);
      await save();
      crashPoint(`${journal.command}.journaled.${entry.kind}`);
    },
    amendLast: async (entry) => {
      journal.undo[journal.undo.length - 1] = entry;
      await save();
    },
    progress: async (undoing, done) => {
      journal.undoing = undoing;
      if (done !== undefined && !journal.undone.includes(done)) journal.undone.push(done);
      await save();
    },
    close: () => rm(path, { force: true }),
  };
};

/**
 * Starts a journal at `path` (atomic writes; one record per step, persisted before the step runs).
 * @throws what the atomic write throws (the journal must exist before anything changes)
 */
export const startJournal = async (
  path: string,
  facts: Omit<Journal, "format" | "pid" | "host" | "startedAt" | "undo" | "undone" | "undoing">,
): Promise<JournalWriter> => {
  const journal: Journal = {
    format: 2,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...facts,
    undo: [],
    undone: [],
  };
  const writer = writerFor(path, journal);
  await writer.progress(undefined);
  return writer;
};

/** Reopens a journal left behind by an interrupted run, to resume undoing it. */
export const resumeJournal = (path: string, journal: Journal): JournalWriter => writerFor(path, journal);

/**
 * Reads a journal left behind by an interrupted critical section, or undefined.
 * @throws PRECONDITION when it is unreadable or of an unknown format
 */
export const readJournal = async (path: string): Promise<Journal | undefined> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ZopsError("PRECONDITION", `unable to read the upgrade journal '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  const hint =
    "an upgrade was interrupted; check current/last links, configs and the database by hand, then delete the journal";
  let journal: Journal;
  try {
    journal = JSON.parse(text) as Journal;
  } catch (error) {
    throw new ZopsError("PRECONDITION", `upgrade journal '${path}' is unreadable: ${(error as Error).message}`, {
      hint,
    });
  }
  if (journal.format !== 2)
    throw new ZopsError("PRECONDITION", `upgrade journal '${path}' has unknown format ${String(journal.format)}`, {
      hint,
    });
  return journal;
};

/** Removes a journal (idempotent). */
export const removeJournal = (path: string): Promise<void> => rm(path, { force: true });
