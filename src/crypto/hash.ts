import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** A pass-through Transform that counts bytes and computes SHA-256 of what flows through it. */
export class HashStream extends Transform {
  private readonly hash = createHash("sha256");
  private digestValue: string | undefined;
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digestValue = this.hash.digest("hex");
    callback();
  }

  /** Hex SHA-256 of everything that passed; available once the stream has ended. */
  get sha256(): string {
    if (this.digestValue === undefined) throw new Error("HashStream: digest read before the stream ended");
    return this.digestValue;
  }
}

/** Hex SHA-256 of a buffer. */
export const sha256Of = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");
