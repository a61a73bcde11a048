import { ZopsError } from "../errors/index.js";
import type {
  GetOptions,
  ObjectInfo,
  PutBody,
  PutOptions,
  PutResult,
  Storage,
  StorageCapabilities,
} from "./storage.js";
import type { Readable } from "node:stream";

/**
 * Read-only view of a storage for `expire --dry-run` and `upgrade --plan`: reads pass through,
 * every write throws INTERNAL, so a bug in a command's dry-run path cannot change the
 * repository (pgBackRest enforces dry-run in its storage layer the same way).
 */
export class DryRunStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities;
  /** The inner driver's local file for a key, when it has one. */
  readonly pathOf?: (key: string) => string;

  constructor(readonly inner: Storage) {
    this.location = inner.location;
    this.capabilities = inner.capabilities;
    if (inner.pathOf) this.pathOf = (key: string) => (inner.pathOf as (key: string) => string)(key);
  }

  // Always throws INTERNAL: dry runs must not write.
  async put(key: string, _body: PutBody, _options?: PutOptions): Promise<PutResult> {
    throw this.refuse("write", [key]);
  }

  // Passes through.
  get(key: string, options?: GetOptions): Promise<Readable> {
    return this.inner.get(key, options);
  }

  // Passes through.
  stat(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> {
    return this.inner.stat(key, options);
  }

  // Passes through.
  list(prefix: string, options?: { signal?: AbortSignal }): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, options);
  }

  // Always throws INTERNAL (even for an empty key list would be harmless, so that one passes).
  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) throw this.refuse("delete", keys);
  }

  // Closes the wrapped storage.
  async close(): Promise<void> {
    await this.inner.close?.();
  }

  private refuse(action: string, keys: readonly string[]): ZopsError {
    return new ZopsError(
      "INTERNAL",
      `dry run: refused to ${action} ` +
        `'${keys[0]}'${keys.length > 1 ? ` and ${keys.length - 1} more` : ""} ` +
        `in repository '${this.location}'`,
      {
        hint: "a dry-run code path tried to change the repository; this is a zops bug, please report it",
      },
    );
  }
}

/** Wraps `storage` so that writes throw (dry runs, plans). */
export const dryRunStorage = (storage: Storage): Storage => new DryRunStorage(storage);
