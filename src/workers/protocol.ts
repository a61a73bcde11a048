import { ZopsError, errnoOf, type ErrorCode } from "../errors/index.js";

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

/**
 * Why a job failed, as the thread saw it: a ZopsError's code, hint and details, or a system call's errno, syscall and
 * path, so the pool rejects with an error of the same kind instead of a bare message.
 */
export interface JobFailure {
  readonly message: string;
  readonly code?: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
  readonly errno?: string;
  readonly syscall?: string;
  readonly path?: string;
}

/** A thread's answer to one job. */
export type JobReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly failure: JobFailure };

/** The failure a thread reports for `error` (plain data: it crosses threads by structured clone). Pure. */
export const describeFailure = (error: unknown): JobFailure => {
  if (error instanceof ZopsError)
    return { message: error.message, code: error.code, hint: error.hint, details: error.details };
  const failed = error as NodeJS.ErrnoException;
  return {
    message: failed instanceof Error ? failed.message : String(error),
    errno: errnoOf(error),
    syscall: typeof failed?.syscall === "string" ? failed.syscall : undefined,
    path: typeof failed?.path === "string" ? failed.path : undefined,
  };
};

/**
 * The error a job failure stands for on the pool's side: the ZopsError the thread threw, or an Error carrying the
 * errno, syscall and path (as the system call's own error would), which callers map with localError. Pure.
 */
export const errorOfFailure = (failure: JobFailure): Error => {
  if (failure.code)
    return new ZopsError(failure.code, failure.message, { hint: failure.hint, details: failure.details });
  return Object.assign(new Error(failure.message), {
    code: failure.errno,
    syscall: failure.syscall,
    path: failure.path,
  });
};
