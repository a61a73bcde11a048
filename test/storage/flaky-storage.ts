import type { Readable } from "node:stream";
import { ZopsError } from "../../src/errors/index.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import type {
  GetOptions,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  Storage,
  StorageCapabilities,
} from "../../src/storage/storage.js";
import { transientError } from "../../src/storage/transient.js";

/** A scripted failure: thrown by the next call of `operation`. */
export type Failure = "transient" | "not-found" | "credentials" | "hang";

/**
 * A Storage over MemoryStorage that fails on script, to test the retry/timeout wrapper's
 * policy (the real network failures are tested against s3rver in s3.test.ts).
 */
export class FlakyStorage implements Storage {
  readonly location = "flaky://test";
  readonly capabilities: StorageCapabilities;
  readonly memory = new MemoryStorage("flaky");
  readonly calls: Record<string, number> = { put: 0, get: 0, stat: 0, list: 0, delete: 0 };
  /** Failures to throw, per operation, in order. */
  readonly script: Record<string, Failure[]> = { put: [], get: [], stat: [], list: [], delete: [] };
  /** For list: fail after yielding this many entries (once). */
  listFailAfter: number | undefined;

  constructor(network = true) {
    this.capabilities = { atomicPut: true, multipart: false, localPath: false, network, retriesOwnPuts: false };
  }

  private async fail(operation: string, signal?: AbortSignal): Promise<void> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const failure = this.script[operation]?.shift();
    if (failure === "transient")
      throw transientError("STORAGE_UNREACHABLE", `${operation}: connection reset (scripted)`);
    if (failure === "not-found") throw new ZopsError("STORAGE_NOT_FOUND", `${operation}: not found (scripted)`);
    if (failure === "credentials")
      throw new ZopsError("STORAGE_UNREACHABLE", `${operation}: InvalidAccessKeyId (scripted)`);
    if (failure === "hang")
      await new Promise((_, reject) =>
        signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
      );
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    await this.fail("put", options.signal);
    return this.memory.put(key, body);
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    await this.fail("get", options.signal);
    return this.memory.get(key, options);
  }

  async stat(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    await this.fail("stat", options.signal);
    return this.memory.stat(key);
  }

  async *list(prefix: string, options: { signal?: AbortSignal } = {}): AsyncIterable<ObjectInfo> {
    await this.fail("list", options.signal);
    let yielded = 0;
    for await (const info of this.memory.list(prefix)) {
      if (this.listFailAfter !== undefined && yielded === this.listFailAfter) {
        this.listFailAfter = undefined;
        throw transientError("STORAGE_UNREACHABLE", "list: connection reset mid-listing (scripted)");
      }
      yielded += 1;
      yield info;
    }
  }

  async delete(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.fail("delete", options.signal);
    return this.memory.delete(keys);
  }
}
