import { parentPort } from "node:worker_threads";
import { prepareWal } from "../wal/prepare.js";
import { packPieces, piecesMatch, readWholeFile, unpackPieces } from "./pieces.js";
import type { WorkerReply, WorkerRequest } from "./worker-jobs.js";

// Entry point of a pool thread (backup/restore jobs, and the WAL background pusher's "wal" job): bundled as
// dist/bin/zops-worker.js, run from source under tsx in tests. Each request is one job; results travel back with their
// buffers transferred, not copied.

const handle = async ({ id, job }: WorkerRequest): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> => {
  try {
    if (job.kind === "pack") {
      const result = await packPieces(job.pieces, job.level);
      const data = result.data;
      const exact =
        data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
          ? data
          : Uint8Array.prototype.slice.call(data);
      return { reply: { id, ok: true, result: { ...result, data: exact } }, transfer: [exact.buffer as ArrayBuffer] };
    }
    if (job.kind === "wal") {
      const prepared = prepareWal(job.path, job.level);
      const exact = prepared.compressed;
      return {
        reply: { id, ok: true, result: prepared },
        transfer:
          exact.byteOffset === 0 && exact.byteLength === exact.buffer.byteLength ? [exact.buffer as ArrayBuffer] : [],
      };
    }
    if (job.kind === "unpack") {
      const data = job.data ?? readWholeFile(job.path ?? "");
      return {
        reply: { id, ok: true, result: await unpackPieces(data, job.key, job.objectSha256, job.pieces) },
        transfer: [],
      };
    }
    return { reply: { id, ok: true, result: await piecesMatch(job.pieces) }, transfer: [] };
  } catch (error) {
    return {
      reply: { id, ok: false, message: (error as Error).message, code: (error as NodeJS.ErrnoException).code },
      transfer: [],
    };
  }
};

parentPort?.on("message", (request: WorkerRequest) => {
  void handle(request).then(({ reply, transfer }) => parentPort?.postMessage(reply, transfer));
});
