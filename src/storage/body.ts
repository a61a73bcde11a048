import { Readable } from "node:stream";
import type { PutBody } from "./storage.js";

/** Turns any PutBody into a fresh Readable (calls the factory when the body is one). */
export const openBody = (body: PutBody): Readable => {
  if (typeof body === "function") return body();
  if (body instanceof Readable) return body;
  const buffer =
    typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Readable.from([buffer], { objectMode: false });
};

/** True when a put of this body can be attempted again (a buffer or a factory, not a one-shot stream). */
export const isReplayable = (body: PutBody): boolean => !(body instanceof Readable);
