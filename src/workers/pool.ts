import { Worker } from "node:worker_threads";
import { ZopsError } from "../errors/index.js";
import { locateWorkerEntry, type WorkerEntry } from "./locate.js";
import { errorOfFailure, type JobMap, type JobOf, type JobReply } from "./protocol.js";

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

/**
 * A fixed pool of worker threads running the jobs of `M` (declared by the area that uses the pool, handled by the
 * one worker entry); jobs queue while every thread is busy. Knows no job kinds.
 */
export class WorkerPool<M extends JobMap> {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: { kind: string }; transfer: ArrayBuffer[]; id: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    entry: WorkerEntry = locateWorkerEntry(),
  ) {
    for (let index = 0; index < size; index += 1) {
      const worker = entry.kind === "file" ? new Worker(entry.url) : new Worker(entry.code, { eval: true });
      const slot: Slot = { worker, busy: false };
      worker.on("message", (reply: JobReply) => this.settle(slot, reply));
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

  /**
   * Runs a job on the next free thread; `transfer` buffers move to the thread (unusable here afterwards). Rejects with
   * the thread's error: its ZopsError (code, hint, details), or an Error with the errno, syscall and path.
   * @throws INTERNAL when a thread dies or the pool is closed.
   */
  run<K extends keyof M & string>(job: JobOf<M, K>, transfer: ArrayBuffer[] = []): Promise<M[K]["result"]> {
    if (this.closed) return Promise.reject(new ZopsError("INTERNAL", "worker pool is closed"));
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ job, transfer, id });
    this.dispatch();
    return promise as Promise<M[K]["result"]>;
  }

  /** Stops every thread; pending jobs reject. Idempotent. */
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

  private settle(slot: Slot, reply: JobReply): void {
    slot.busy = false;
    slot.worker.unref();
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (pending) {
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(errorOfFailure(reply.failure));
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    for (const { reject } of this.pending.values())
      reject(new ZopsError("INTERNAL", `worker thread failed: ${error.message}`, { cause: error }));
    this.pending.clear();
  }
}
