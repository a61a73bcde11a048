import { Transform } from "node:stream";

/** A pass-through Transform reporting the size of each chunk (never switches a stream into flowing mode early). */
export const countBytes = (onBytes: (bytes: number) => void): Transform =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
