// Messages between a WorkerPool and its threads. The pool knows no job kinds: an area declares its jobs as a JobMap
// and registers their handlers in the one worker entry (src/bin/zops-worker.ts).

/** The jobs of one area: kind -> the job's input fields and its result. */
export type JobMap = { readonly [kind: string]: { readonly input: object; readonly result: unknown } };

/** A job as posted to a thread: its kind and its input fields. */
export type JobOf<M extends JobMap, K extends keyof M & string> = { readonly kind: K } & M[K]["input"];

/** What a handler returns: the result, and buffers to transfer to the pool (moved, not copied). */
export interface HandledJob<R> {
  readonly result: R;
  readonly transfer?: ArrayBuffer[];
}

/** Runs one job on a worker thread. */
export type JobHandler<I, R> = (input: I) => HandledJob<R> | Promise<HandledJob<R>>;

/** The handlers of every job of a JobMap. */
export type JobHandlers<M extends JobMap> = { readonly [K in keyof M]: JobHandler<M[K]["input"], M[K]["result"]> };

/** A job sent to a thread. */
export interface JobRequest {
  readonly id: number;
  readonly job: { readonly kind: string };
}

/** Why a job failed, as far as a thread can tell: the message, and the errno code of a file-system error. */
export interface JobFailure {
  readonly message: string;
  readonly code?: string;
}

/** A thread's answer to one job. */
export type JobReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly failure: JobFailure };
