import { localError } from "../errors/index.js";
import { readWholeFile } from "../fsio/read-whole-file.js";
import type { JobHandlers } from "../workers/protocol.js";
import { transferOf } from "../workers/serve.js";
import {
  packPieces,
  piecesMatch,
  unpackPieces,
  type HashPiece,
  type PackPiece,
  type PackResult,
  type UnpackPiece,
  type UnpackProblem,
} from "./pieces.js";

/** The pool jobs of backup, restore and verify: the byte work on data objects (./pieces.ts). */
export type PieceJobs = {
  /** Reads, hashes and compresses file ranges into one data object. */
  readonly pack: {
    readonly input: { readonly pieces: readonly PackPiece[]; readonly level: number };
    result: PackResult;
  };
  /**
   * Checks and writes the pieces of one data object: `data`, its bytes, or `path`, the local file holding them (file
   * repositories: read on the thread).
   */
  readonly unpack: {
    readonly input: {
      readonly data?: Uint8Array;
      readonly path?: string;
      readonly key: string;
      readonly objectSha256?: string;
      readonly pieces: readonly UnpackPiece[];
    };
    readonly result: UnpackProblem[];
  };
  /** True when local file ranges still have their recorded SHA-256 (delta restore). */
  readonly match: { readonly input: { readonly pieces: readonly HashPiece[] }; readonly result: boolean };
};

/** The worker-thread handlers of PieceJobs (registered by src/bin/zops-worker.ts). */
export const pieceJobHandlers: JobHandlers<PieceJobs> = {
  pack: async ({ pieces, level }) => {
    const packed = await packPieces(pieces, level).catch((error: unknown) => {
      throw localError(error, "unable to read a file of the data directory");
    });
    const data = transferOf(packed.data).length > 0 ? packed.data : Uint8Array.prototype.slice.call(packed.data);
    return { result: { ...packed, data }, transfer: transferOf(data) };
  },
  unpack: async ({ data, path, key, objectSha256, pieces }) => ({
    result: await unpackPieces(data ?? readWholeFile(path ?? ""), key, objectSha256, pieces),
  }),
  match: async ({ pieces }) => ({ result: await piecesMatch(pieces) }),
};
