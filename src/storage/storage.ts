import type { Readable } from "node:stream";

/** Facts about one stored object. */
export interface ObjectInfo {
  /** Key relative to the repository root, `/`-separated, never starting with `/`. */
  readonly key: string;
  readonly size: number;
  readonly modified?: Date;
}

/**
 * A body to store. A factory can be called again when a wrapper retries; a plain
 * stream can be consumed only once, so puts with one are never retried.
 */
export type PutBody = Buffer | Uint8Array | string | Readable | (() => Readable);

export interface PutOptions {
  /** Size in bytes when known up front (lets drivers pick single-part uploads). */
  readonly size?: number;
  readonly signal?: AbortSignal;
}

export interface PutResult {
  readonly key: string;
  readonly size: number;
}

/** A byte range: `start` inclusive, `end` exclusive; `end` omitted means to the end. */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface GetOptions {
  readonly range?: ByteRange;
  readonly signal?: AbortSignal;
}

export interface StorageCapabilities {
  /** A put replaces the object atomically: readers see the old or the new object, never a mix. */
  readonly atomicPut: boolean;
  /** Large puts are split into parts (streamed, bounded memory). */
  readonly multipart: boolean;
  /** Objects are plain files on a local/NFS path (enables hard links, fsync, disk-space checks). */
  readonly localPath: boolean;
  /** Operations travel over a network and can fail transiently (wrappers retry them). */
  readonly network: boolean;
  /**
   * The driver retries its own put requests after transient failures (each request timed on its own) and says how
   * many attempts it made; wrappers must not retry a put again.
   */
  readonly retriesOwnPuts: boolean;
}

/**
 * One interface for every repository backend. Drivers throw ZopsError with codes
 * STORAGE_NOT_FOUND, STORAGE_UNREACHABLE or STORAGE_IO. Retries are the wrappers' job, except what a driver declares
 * it retries itself (`capabilities.retriesOwnPuts`): a one-shot stream cut into buffered parts only it can replay.
 */
export interface Storage {
  /** Where this storage points, for messages (`file:///var/backups/zops`, `s3://bucket/prefix`). */
  readonly location: string;
  readonly capabilities: StorageCapabilities;
  /** Stores `body` under `key` atomically: a failed put leaves no object a reader could mistake for complete. */
  put(key: string, body: PutBody, options?: PutOptions): Promise<PutResult>;
  /** Opens `key` for reading, optionally a byte range; throws STORAGE_NOT_FOUND when absent. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Returns the object's facts, or undefined when it does not exist. */
  stat(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;
  /** Lists every object whose key starts with `prefix`, in key order, pagination hidden. */
  list(prefix: string, options?: { signal?: AbortSignal }): AsyncIterable<ObjectInfo>;
  /** Deletes the given keys; missing keys are not an error (idempotent). */
  delete(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Releases connections and handles. */
  close?(): Promise<void>;
  /** The local file holding `key`, for drivers with `capabilities.localPath` (and wrappers around them). */
  pathOf?(key: string): string;
}
