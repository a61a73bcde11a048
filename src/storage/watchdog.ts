import type { ZopsError } from "../errors/index.js";

/**
 * A timer that aborts an operation when the storage makes no progress for `ms`. Armed while
 * zops waits on the storage, disarmed while it waits on its own data source or on a slow
 * consumer, so only storage stalls count.
 */
export class Watchdog {
  readonly controller = new AbortController();
  readonly signal: AbortSignal;
  /** Rejects with the timeout error when the watchdog fires (never resolves). */
  readonly expired: Promise<never>;
  private timer: NodeJS.Timeout | undefined;
  private reject: ((error: ZopsError) => void) | undefined;

  constructor(
    private readonly ms: number,
    private readonly makeError: () => ZopsError,
    callerSignal?: AbortSignal,
  ) {
    this.signal = callerSignal ? AbortSignal.any([this.controller.signal, callerSignal]) : this.controller.signal;
    this.expired = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.expired.catch(() => undefined);
  }

  // Starts the countdown unless it is already running.
  arm(): void {
    if (this.timer || this.controller.signal.aborted) return;
    this.timer = setTimeout(() => this.fire(), this.ms);
  }

  // Stops the countdown (progress was made, or zops is waiting on something other than storage).
  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // True once the timeout fired.
  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  private fire(): void {
    this.timer = undefined;
    const error = this.makeError();
    this.controller.abort(error);
    this.reject?.(error);
  }
}
