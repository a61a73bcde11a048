import { Readable } from "node:stream";
import type { Watchdog } from "./watchdog.js";

/**
 * Re-emits `source` for a driver's put, arming the watchdog only while the driver (the storage side) is not taking
 * data: after a push it refused (backpressure) and after the end (final commit). Waiting on a slow source never counts.
 */
export const watchUpload = (source: Readable, watchdog: Watchdog): Readable => {
  const iterator = source[Symbol.asyncIterator]();
  const output = new Readable({
    async read() {
      watchdog.disarm();
      try {
        const next = await iterator.next();
        if (next.done) {
          watchdog.arm();
          this.push(null);
        } else if (!this.push(next.value)) {
          watchdog.arm();
        }
      } catch (error) {
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      source.destroy(error ?? undefined);
      callback(error);
    },
  });
  watchdog.signal.addEventListener("abort", () => output.destroy(watchdog.signal.reason as Error), { once: true });
  return output;
};

/** How a download re-opens its object after a transient failure: at byte `offset` of the original range. */
export type Reopen = (offset: number) => Promise<Readable>;

export interface DownloadWatch {
  /** Idle time (no bytes while the consumer waits) after which the read fails or resumes. */
  readonly idleMs: number;
  /** Builds the error thrown when the idle time passes. */
  readonly timeoutError: () => Error;
  /** Returns a replacement stream after `error` at `offset`, or throws to give up. */
  readonly recover: (error: unknown, offset: number) => Promise<Readable>;
}

/**
 * Re-emits a download: fails or resumes (via `recover`) when no bytes arrive for idleMs while the consumer is waiting;
 * a slow consumer never counts.
 */
export const watchDownload = (first: Readable, watch: DownloadWatch): Readable => {
  let source = first;
  let iterator = source[Symbol.asyncIterator]();
  let offset = 0;
  // One timer, restarted per read (refresh); it only counts while the consumer waits for data.
  let waiting = false;
  const timer = setTimeout(() => {
    if (waiting) source.destroy(watch.timeoutError());
  }, watch.idleMs);
  // An abandoned, never-read stream must not hold the process open; a stalled transfer keeps its socket or file handle
  // referenced anyway.
  timer.unref();
  const output = new Readable({
    highWaterMark: 1024 * 1024,
    async read() {
      for (;;) {
        waiting = true;
        timer.refresh();
        try {
          const next = await iterator.next();
          waiting = false;
          if (next.done) {
            clearTimeout(timer);
            this.push(null);
          } else {
            const chunk = next.value as Buffer;
            offset += chunk.length;
            this.push(chunk);
          }
          return;
        } catch (error) {
          waiting = false;
          try {
            source = await watch.recover(error, offset);
            iterator = source[Symbol.asyncIterator]();
          } catch (final) {
            this.destroy(final as Error);
            return;
          }
        }
      }
    },
    destroy(error, callback) {
      clearTimeout(timer);
      source.destroy();
      callback(error);
    },
  });
  return output;
};
