import { Readable } from "node:stream";
import { openBody } from "./body.js";
import { assertKey, notFound } from "./key.js";
import { readAll } from "./read.js";
import type { GetOptions, ObjectInfo, PutBody, PutResult, Storage, StorageCapabilities } from "./storage.js";

/** In-memory storage for unit tests; puts are atomic (the object appears only when the body is fully read). */
export class MemoryStorage implements Storage {
  readonly location: string;
  readonly capabilities: StorageCapabilities = {
    atomicPut: true,
    multipart: false,
    localPath: false,
    network: false,
    retriesOwnPuts: false,
  };
  readonly objects = new Map<string, { data: Buffer; modified: Date }>();

  constructor(name = "test") {
    this.location = `memory://${name}`;
  }

  // Stores the body once fully read (atomic).
  async put(key: string, body: PutBody): Promise<PutResult> {
    assertKey(key);
    const data = await readAll(openBody(body));
    this.objects.set(key, { data, modified: new Date() });
    return { key, size: data.length };
  }

  // Returns a stream of the object or of a byte range of it.
  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const object = this.objects.get(assertKey(key));
    if (!object) throw notFound(this.location, key);
    const { start = 0, end = object.data.length } = options.range ?? {};
    return Readable.from([object.data.subarray(start, Math.min(end, object.data.length))]);
  }

  // Returns size and time of the object, or undefined.
  async stat(key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects.get(assertKey(key));
    return object ? { key, size: object.data.length, modified: object.modified } : undefined;
  }

  // Yields objects under `prefix` in key order.
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    for (const key of keys) {
      const object = this.objects.get(key);
      if (object) yield { key, size: object.data.length, modified: object.modified };
    }
  }

  // Removes keys; missing keys are ignored.
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(assertKey(key));
  }
}
