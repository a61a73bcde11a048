import { closeSync, fstatSync, openSync, readSync } from "node:fs";

let buffer = Buffer.alloc(0);

/**
 * Reads a whole file (a repository object, a WAL file to push) into a buffer this thread reuses: the result is valid
 * only until the next call on the same thread. Synchronous on purpose: it runs on worker threads, where blocking is
 * free and libuv's small shared thread pool would only add hops. Throws the file-system error.
 */
export const readWholeFile = (path: string): Buffer => {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (buffer.length < size) buffer = Buffer.allocUnsafe(Math.max(size, buffer.length * 2, 1024 * 1024));
    let filled = 0;
    while (filled < size) {
      const bytesRead = readSync(fd, buffer, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
};
