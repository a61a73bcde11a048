import { parentPort } from "node:worker_threads";
import { describeFailure, type JobHandler, type JobReply, type JobRequest } from "./protocol.js";

/**
 * Serves jobs on this worker thread: each request runs the handler registered for its kind and is answered once, with
 * its buffers transferred. Throws when two handlers claim one kind; a failing job is answered, never thrown.
 */
export const serveJobs = (...groups: Readonly<Record<string, JobHandler<never, unknown>>>[]): void => {
  const handlers = new Map<string, JobHandler<never, unknown>>();
  for (const group of groups)
    for (const [kind, handler] of Object.entries(group)) {
      if (handlers.has(kind)) throw new Error(`two worker job handlers for kind '${kind}'`);
      handlers.set(kind, handler);
    }
  const answer = async ({ id, job }: JobRequest): Promise<{ reply: JobReply; transfer: ArrayBuffer[] }> => {
    try {
      const handler = handlers.get(job.kind);
      if (!handler) throw new Error(`no worker job handler for kind '${job.kind}'`);
      const { result, transfer = [] } = await handler(job as never);
      return { reply: { id, ok: true, result }, transfer };
    } catch (error) {
      return { reply: { id, ok: false, failure: describeFailure(error) }, transfer: [] };
    }
  };
  parentPort?.on("message", (request: JobRequest) => {
    void answer(request).then(({ reply, transfer }) => parentPort?.postMessage(reply, transfer));
  });
};

/** The transfer list that moves `data`'s memory to the other thread: empty when it is a view of a larger buffer. */
export const transferOf = (data: Uint8Array): ArrayBuffer[] =>
  data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? [data.buffer as ArrayBuffer] : [];
