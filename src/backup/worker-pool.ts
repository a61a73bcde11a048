import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ZopsError } from "../errors/index.js";
import type { WorkerJob, WorkerReply, WorkerResultOf } from "./worker-jobs.js";

/**
 * How to start a worker thread: a bundled script, or (from TypeScript sources) a bootstrap that loads worker.ts through
 * tsx.
 */
export type WorkerEntry =
  | { readonly kind: "file"; readonly url: URL }
  | { readonly kind: "eval"; readonly code: string };

/**
 * Finds the worker entry next to this module: the bundled `zops-worker.js` beside dist/bin/zops.js, or, when running
 * from sources (vitest, tsx), an eval bootstrap that imports `worker.ts` with tsx's tsImport (Node 20 workers ignore
 * --import loaders). Throws INTERNAL when neither exists.
 */
export const locateWorker = (moduleUrl: string = import.meta.url): WorkerEntry => {
  if (moduleUrl.endsWith(".ts")) {
    const api = pathToFileURL(
      createRequire(moduleUrl)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    const worker = new URL("./worker.ts", moduleUrl).href;
    return {
      kind: "eval",
      code:
        `import(${JSON.stringify(api)}).then((tsx) => ` +
        `tsx.tsImport(${JSON.stringify(worker)}, ` +
        `${JSON.stringify(moduleUrl)}));`,
    };
  }
  const dir = dirname(fileURLToPath(moduleUrl));
  for (const candidate of [
    join(dir, "zops-worker.js"),
    join(dir, "..", "zops-worker.js"),
    join(dir, "..", "bin", "zops-worker.js"),
  ]) {
    if (existsSync(candidate)) return { kind: "file", url: pathToFileURL(candidate) };
  }
  throw new ZopsError("INTERNAL", `the zops worker script (zops-worker.js) was not found near ${dir}`, {
    hint: "rebuild zops (npm run build) so dist/bin/zops-worker.js exists",
  });
};

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

/** A fixed pool of worker threads running pack/unpack/match jobs; jobs queue when all are busy. */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: WorkerJob; transfer: ArrayBuffer[]; id: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    entry: WorkerEntry = locateWorker(),
  ) {
    for (let index = 0; index < size; index += 1) {
      const worker = entry.kind === "file" ? new Worker(entry.url) : new Worker(entry.code, { eval: true });
      const slot: Slot = { worker, busy: false };
      worker.on("message", (reply: WorkerReply) => this.settle(slot, reply));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`worker thread exited with code ${code}`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** Jobs waiting or running. */
  get load(): number {
    return this.pending.size;
  }

  // Runs a job on the next free thread; `transfer` buffers move to the thread (unusable here afterwards). Rejects with
  // the thread's error.
  run<J extends WorkerJob>(job: J, transfer: ArrayBuffer[] = []): Promise<WorkerResultOf<J>> {
    if (this.closed) return Promise.reject(new ZopsError("INTERNAL", "worker pool is closed"));
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ job, transfer, id });
    this.dispatch();
    return promise as Promise<WorkerResultOf<J>>;
  }

  // Stops every thread (idempotent); pending jobs reject.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { reject } of this.pending.values()) reject(new ZopsError("INTERNAL", "worker pool closed"));
    this.pending.clear();
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.busy = true;
      slot.worker.ref();
      slot.worker.postMessage({ id: next.id, job: next.job }, next.transfer);
    }
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    slot.busy = false;
    slot.worker.unref();
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (pending) {
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(Object.assign(new Error(reply.message), { code: reply.code }));
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    for (const { reject } of this.pending.values())
      reject(new ZopsError("INTERNAL", `worker thread failed: ${error.message}`, { cause: error }));
    this.pending.clear();
  }
}
