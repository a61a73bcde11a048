import { hostname } from "node:os";
import { readFile, rm } from "node:fs/promises";
import { ZopsError } from "../errors/index.js";
import { writeFileAtomic } from "../fsio/atomic-write.js";
import type { FileBackup } from "./file-backup.js";

/** What the critical section did so far, in order; each record says how to undo one step. */
export type UndoRecord =
  /** The old service was stopped: undo starts it (in `deployment`) and health-checks it. */
  | { readonly kind: "service-stopped"; readonly deployment: string | undefined }
  /** Files were (about to be) overwritten: undo puts the backups back. */
  | { readonly kind: "files"; readonly files: readonly FileBackup[] }
  /** Migrations (about to be) applied from `dir`; undo reverts them (down steps, or the restore point). */
  | {
      readonly kind: "migrations";
      readonly dir: string;
      readonly names: readonly string[];
      readonly restorePoint: string | undefined;
    }
  /** The links were switched: undo points them back. */
  | { readonly kind: "links"; readonly current: string | undefined; readonly last: string | undefined }
  /** The new service was (about to be) started: undo stops it. */
  | { readonly kind: "service-started"; readonly deployment: string };

/** The write-ahead journal of one critical section (`<root>/.zops/journal.json`). */
export interface Journal {
  readonly format: 1;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly fromDeployment: string | undefined;
  readonly fromVersion: string | undefined;
  readonly toDeployment: string;
  readonly toVersion: string;
  readonly undo: UndoRecord[];
}

/** A journal being written: `record` persists before the step it describes runs. */
export interface JournalWriter {
  readonly journal: Journal;
  record(entry: UndoRecord): Promise<void>;
  /** Deletes the journal: the critical section ended (done or undone). */
  close(): Promise<void>;
}

/** Starts a journal at `path` (atomic writes; one record per step, persisted before the step runs). */
export const startJournal = async (
  path: string,
  facts: Omit<Journal, "format" | "pid" | "host" | "startedAt" | "undo">,
): Promise<JournalWriter> => {
  const journal: Journal = {
    format: 1,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...facts,
    undo: [],
  };
  const save = () => writeFileAtomic(path, `${JSON.stringify(journal, null, 2)}\n`, { mode: 0o600 });
  await save();
  return {
    journal,
    record: async (entry) => {
      journal.undo.push(entry);
      await save();
    },
    close: () => rm(path, { force: true }),
  };
};

/**
 * Reads a journal left behind by an interrupted critical section, or undefined; throws PRECONDITION when unreadable.
 */
export const readJournal = async (path: string): Promise<Journal | undefined> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as Journal;
  } catch (error) {
    throw new ZopsError("PRECONDITION", `upgrade journal '${path}' is unreadable: ${(error as Error).message}`, {
      hint:
        "an upgrade was interrupted; check current/last links, configs " +
        "and the database by hand, then delete the journal",
    });
  }
};

/** Removes a journal (idempotent). */
export const removeJournal = (path: string): Promise<void> => rm(path, { force: true });
