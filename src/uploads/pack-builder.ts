import { sha256Of } from "../crypto/hash.js";
import { uploadsPackKey } from "../repo/layout.js";
import { endFrame } from "./frame.js";
import type { IndexedObject } from "./blob-index.js";

/** A pack being filled in memory: frames of small files, then the end-of-tar frame. */
export class PackBuilder {
  private readonly frames: Buffer[] = [];
  private readonly blobs: [string, number, number, number][] = [];
  bytes = 0;

  // Appends one frame holding blob `sha256` of `size` content bytes.
  add(sha256: string, frame: Buffer, size: number): void {
    this.blobs.push([sha256, this.bytes, frame.length, size]);
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  get count(): number {
    return this.blobs.length;
  }

  // Returns the finished pack bytes, its content-addressed key and its index record (pure).
  finish(level: number): { body: Buffer; object: IndexedObject } {
    const body = Buffer.concat([...this.frames, endFrame(level)]);
    return { body, object: { key: uploadsPackKey(sha256Of(body)), size: body.length, blobs: this.blobs } };
  }
}
