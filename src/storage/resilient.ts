import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import { ZopsError } from "../errors/index.js";
import { isReplayable, openBody } from "./body.js";
import { backoffDelay, gaveUpAfter } from "./retry-policy.js";
import { isTransient, transientError } from "./transient.js";
import { Watchdog } from "./watchdog.js";
import { watchDownload, watchUpload } from "./watched-streams.js";
import type {
  GetOptions,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  Storage,
  StorageCapabilities,
} from "./storage.js";

/** The `storage:` config section: time limit and retries for every operation. */
export interface ResilienceSettings {
  /** An operation (or a transfer making no progress) fails after this long. */
  readonly timeoutSeconds: number;
  /** Extra attempts for transient failures on network storage. */
  readonly retries: number;
  /** First backoff delay; doubles per attempt (capped at 30 s), with jitter. */
  readonly retryDelayMs: number;
}

const DELETE_CHUNK = 1000;

/**
 * Wraps any driver with a timeout on every operation and, for network storage
 * (`capabilities.network`), retries with exponential backoff and jitter for transient errors
 * only (network, 5xx, throttling, timeouts). Not-found, credential and conflict errors fail at
 * once; a put of a one-shot stream is never retried, nor a put of a driver that retries its own
 * (`capabilities.retriesOwnPuts`: one retry layer). A final error says how many attempts ran.
 */
export class ResilientStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities;
  /** The inner driver's local file for a key, when it has one. */
  readonly pathOf?: (key: string) => string;
  private readonly timeoutMs: number;
  /** Tries made so far, over every operation (retries and resumed downloads included): what a deadline reports. */
  attempts = 0;

  constructor(
    readonly inner: Storage,
    private readonly settings: ResilienceSettings,
  ) {
    this.location = inner.location;
    this.capabilities = inner.capabilities;
    if (inner.pathOf) this.pathOf = (key: string) => (inner.pathOf as (key: string) => string)(key);
    this.timeoutMs = Math.round(settings.timeoutSeconds * 1000);
  }

  // Put with an idle watchdog on the transfer; retried only for replayable bodies (buffers, factories). A driver that
  // retries its own puts (timing each request) is called once: retrying here as well multiplied the attempts.
  put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    if (this.capabilities.retriesOwnPuts)
      return this.attempt("write", key, false, options.signal, (watchdog) =>
        this.inner.put(key, body, { ...options, signal: watchdog.signal }),
      );
    return this.attempt("write", key, isReplayable(body), options.signal, (watchdog) => {
      if (typeof body === "function" || !(body instanceof Uint8Array || typeof body === "string")) {
        return this.inner.put(key, watchUpload(openBody(body), watchdog), { ...options, signal: watchdog.signal });
      }
      watchdog.arm();
      return this.inner.put(key, body, { ...options, signal: watchdog.signal });
    });
  }

  // Opens the object (timed, retried); the stream fails after timeoutSeconds without bytes, and on network storage
  // resumes at the last byte after a transient failure.
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const { start = 0, end } = options.range ?? {};
    const open = (offset: number) =>
      this.attempt("read", key, true, options.signal, (watchdog) => {
        watchdog.arm();
        return this.inner.get(key, {
          signal: watchdog.signal,
          range: offset === 0 && !options.range ? undefined : { start: start + offset, end },
        });
      });
    let resumes = 0;
    return watchDownload(await open(0), {
      idleMs: this.timeoutMs,
      timeoutError: () => this.timeoutError("read", key),
      recover: async (error, offset) => {
        const mapped = this.normalize(error, "read", key);
        if (
          !this.capabilities.network ||
          !isTransient(mapped) ||
          resumes >= this.settings.retries ||
          options.signal?.aborted
        ) {
          throw resumes > 0 ? this.finalError(mapped, resumes + 1) : mapped;
        }
        resumes += 1;
        this.attempts += 1;
        await sleep(this.backoff(resumes), undefined, { signal: options.signal });
        return open(offset);
      },
    });
  }

  // Timed, retried HeadObject/stat.
  stat(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    return this.attempt("stat", key, true, options.signal, (watchdog) => {
      watchdog.arm();
      return this.inner.stat(key, { signal: watchdog.signal });
    });
  }

  // Lists with a timeout per page step; after a transient failure it lists again and skips keys already yielded (lists
  // are in key order).
  async *list(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<ObjectInfo> {
    let last: string | undefined;
    for (let attempt = 1; ; attempt += 1) {
      this.attempts += 1;
      const watchdog = new Watchdog(this.timeoutMs, () => this.timeoutError("list", prefix || "."), options.signal);
      const iterator = this.inner.list(prefix, { signal: watchdog.signal })[Symbol.asyncIterator]();
      try {
        for (;;) {
          watchdog.arm();
          const next = await Promise.race([iterator.next(), watchdog.expired]);
          watchdog.disarm();
          if (next.done) return;
          if (last !== undefined && next.value.key <= last) continue;
          last = next.value.key;
          yield next.value;
        }
      } catch (error) {
        watchdog.disarm();
        const mapped = this.normalize(error, "list", prefix || ".");
        if (!this.mayRetry(mapped, attempt, true, options.signal))
          throw attempt > 1 ? this.finalError(mapped, attempt) : mapped;
        await sleep(this.backoff(attempt), undefined, { signal: options.signal });
      } finally {
        watchdog.disarm();
        void iterator.return?.();
      }
    }
  }

  // Deletes in chunks of 1000 keys, each timed and retried (deletes are idempotent).
  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let index = 0; index < keys.length; index += DELETE_CHUNK) {
      const chunk = keys.slice(index, index + DELETE_CHUNK);
      await this.attempt("delete", chunk[0] ?? ".", true, options.signal, (watchdog) => {
        watchdog.arm();
        return this.inner.delete(chunk, { signal: watchdog.signal });
      });
    }
  }

  // Closes the wrapped driver.
  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private async attempt<T>(
    action: string,
    key: string,
    replayable: boolean,
    callerSignal: AbortSignal | undefined,
    operation: (watchdog: Watchdog) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      this.attempts += 1;
      const watchdog = new Watchdog(this.timeoutMs, () => this.timeoutError(action, key), callerSignal);
      try {
        return await Promise.race([operation(watchdog), watchdog.expired]);
      } catch (error) {
        const mapped = watchdog.fired ? this.timeoutError(action, key) : this.normalize(error, action, key);
        if (!this.mayRetry(mapped, attempt, replayable, callerSignal))
          throw attempt > 1 ? this.finalError(mapped, attempt) : mapped;
        await sleep(this.backoff(attempt), undefined, { signal: callerSignal });
      } finally {
        watchdog.disarm();
      }
    }
  }

  private mayRetry(error: ZopsError, attempt: number, replayable: boolean, signal: AbortSignal | undefined): boolean {
    return (
      this.capabilities.network &&
      replayable &&
      isTransient(error) &&
      attempt <= this.settings.retries &&
      !signal?.aborted
    );
  }

  private backoff(attempt: number): number {
    return backoffDelay(this.settings, attempt);
  }

  private timeoutError(action: string, key: string): ZopsError {
    return transientError(
      "STORAGE_UNREACHABLE",
      `unable to ${action} '${key}' in repository '${this.location}': ` +
        `timed out after ${this.settings.timeoutSeconds} s`,
      {
        hint:
          "the storage endpoint did not answer in time; check that it is " +
          "up and reachable, or raise storage.timeoutSeconds for slow links",
      },
    );
  }

  // Turns a raw error (e.g. a stream torn down mid-transfer) into a ZopsError; raw errors count as transient only on
  // network storage.
  private normalize(error: unknown, action: string, key: string): ZopsError {
    if (error instanceof ZopsError) return error;
    const message =
      `unable to ${action} '${key}' in repository '${this.location}': ` +
      `${error instanceof Error ? error.message : String(error)}`;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ABORT_ERR" || (error as Error | undefined)?.name === "AbortError")
      return new ZopsError("INTERRUPTED", message, { cause: error });
    return this.capabilities.network
      ? transientError("STORAGE_UNREACHABLE", message, {
          cause: error,
          hint: "the connection to the storage endpoint broke; zops retries such failures (storage.retries)",
        })
      : new ZopsError("STORAGE_IO", message, { cause: error });
  }

  private finalError(error: ZopsError, attempts: number): ZopsError {
    return gaveUpAfter(error, attempts) as ZopsError;
  }
}

/** Storage attempts made through `storage` when it is a ResilientStorage (what openStorage returns), else 0. */
export const attemptsOf = (storage: Storage): number => (storage instanceof ResilientStorage ? storage.attempts : 0);
