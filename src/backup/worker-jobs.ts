import type { HashPiece, PackPiece, PackResult, UnpackPiece, UnpackProblem } from "./pieces.js";

// Messages between the worker pool and its threads (src/backup/worker.ts).

export type WorkerJob =
  | { readonly kind: "pack"; readonly pieces: readonly PackPiece[]; readonly level: number }
  | { readonly kind: "unpack"; readonly data: Uint8Array; readonly key: string; readonly objectSha256?: string; readonly pieces: readonly UnpackPiece[] }
  | { readonly kind: "match"; readonly pieces: readonly HashPiece[] };

export type WorkerResultOf<J extends WorkerJob> = J extends { kind: "pack" } ? PackResult : J extends { kind: "unpack" } ? UnpackProblem[] : boolean;

export interface WorkerRequest {
  readonly id: number;
  readonly job: WorkerJob;
}

export type WorkerReply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };
