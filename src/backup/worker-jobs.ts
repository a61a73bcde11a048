import type { PreparedWal } from "../wal/prepare.js";
import type { HashPiece, PackPiece, PackResult, UnpackPiece, UnpackProblem } from "./pieces.js";

// Messages between the worker pool and its threads (src/backup/worker.ts).

export type WorkerJob =
  | { readonly kind: "pack"; readonly pieces: readonly PackPiece[]; readonly level: number }
  /** `data`: the object's bytes, or `path`: the local file holding them (file repositories: read on the thread). */
  | {
      readonly kind: "unpack";
      readonly data?: Uint8Array;
      readonly path?: string;
      readonly key: string;
      readonly objectSha256?: string;
      readonly pieces: readonly UnpackPiece[];
    }
  | { readonly kind: "match"; readonly pieces: readonly HashPiece[] }
  | { readonly kind: "wal"; readonly path: string; readonly level: number };

export type WorkerResultOf<J extends WorkerJob> = J extends { kind: "pack" }
  ? PackResult
  : J extends { kind: "unpack" }
    ? UnpackProblem[]
    : J extends { kind: "wal" }
      ? PreparedWal
      : boolean;

export interface WorkerRequest {
  readonly id: number;
  readonly job: WorkerJob;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };
