import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { ZopsError, isZopsError } from "../../src/errors/index.js";
import { MARKER_KEY } from "../../src/repo/layout.js";
import { getBuffer, listAll } from "../../src/storage/read.js";
import type { Storage } from "../../src/storage/storage.js";
import { formatBytes } from "../../src/ui/output.js";

const MIB = 1024 * 1024;
/** Size of the large-object probe: more than two 8 MiB S3 parts. */
export const LARGE_PROBE_BYTES = 20 * MIB;

/** What every probe sees: the storage and the scratch prefix it may write under. */
export interface ProbeScope {
  readonly storage: Storage;
  /** `zops-check-<time>-<hex>/`, removed at the end. */
  readonly prefix: string;
  readonly small: Buffer;
}

/** One operation `repo check` exercises. */
export interface Probe {
  readonly id: string;
  readonly title: string;
  /** A failure of a required probe makes `repo check` exit non-zero. */
  readonly required: boolean;
  /** Probes that must have succeeded first. */
  readonly needs: readonly string[];
  /** Runs the operation; returns what it found, throws when the endpoint misbehaves. */
  readonly run: (scope: ProbeScope) => Promise<string>;
}

const misbehaves = (scope: ProbeScope, what: string): ZopsError =>
  new ZopsError("STORAGE_IO", `${scope.storage.location}: ${what}`, {
    hint: "this endpoint does not behave like S3/a file system where zops needs it; see the table for what works",
  });

// A 20 MiB stream of random-looking bytes and its SHA-256 (the same bytes each call).
const largeBody = (): { stream: () => Readable; sha256: string } => {
  const block = randomBytes(MIB);
  const hash = createHash("sha256");
  for (let index = 0; index < LARGE_PROBE_BYTES / MIB; index += 1) hash.update(block);
  return {
    sha256: hash.digest("hex"),
    stream: () => Readable.from(Array.from({ length: LARGE_PROBE_BYTES / MIB }, () => block)),
  };
};

/** Makes the probe scope: a unique scratch prefix and a 1 KiB random object body. */
export const makeProbeScope = (storage: Storage): ProbeScope => ({
  storage,
  prefix: `zops-check-${new Date().toISOString().replace(/[-:.]/g, "")}-${randomBytes(3).toString("hex")}/`,
  small: randomBytes(1024),
});

/** The operations `zops repo check` runs, in order. */
export const PROBES: readonly Probe[] = [
  {
    id: "marker",
    title: "read the repository marker",
    required: false,
    needs: [],
    run: async ({ storage }) => {
      const info = await storage.stat(MARKER_KEY);
      return info ? `${MARKER_KEY} present (${info.size} B)` : `no ${MARKER_KEY} yet (run \`zops repo init\`)`;
    },
  },
  {
    id: "put",
    title: "put a small object",
    required: true,
    needs: [],
    run: async (scope) => {
      await scope.storage.put(`${scope.prefix}small`, scope.small);
      return `${formatBytes(scope.small.length)} stored`;
    },
  },
  {
    id: "get",
    title: "get it back",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      const data = await getBuffer(scope.storage, `${scope.prefix}small`);
      if (!data.equals(scope.small))
        throw misbehaves(scope, `read back ${data.length} bytes that differ from the ${scope.small.length} written`);
      return "content matches";
    },
  },
  {
    id: "range",
    title: "ranged get",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      const middle = await getBuffer(scope.storage, `${scope.prefix}small`, { range: { start: 100, end: 200 } });
      if (!middle.equals(scope.small.subarray(100, 200)))
        throw misbehaves(scope, `range bytes 100-199 returned ${middle.length} wrong bytes (Range ignored?)`);
      const tail = await getBuffer(scope.storage, `${scope.prefix}small`, { range: { start: 1000 } });
      if (!tail.equals(scope.small.subarray(1000)))
        throw misbehaves(scope, `open range from byte 1000 returned ${tail.length} wrong bytes`);
      return "bytes 100-199 and 1000- match";
    },
  },
  {
    id: "stat",
    title: "stat",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      const info = await scope.storage.stat(`${scope.prefix}small`);
      if (info?.size !== scope.small.length)
        throw misbehaves(
          scope,
          `stat reported ${info ? `${info.size} bytes` : "no object"} for a ${scope.small.length}-byte object`,
        );
      return `size ${info.size}${info.modified ? `, modified ${info.modified.toISOString()}` : ""}`;
    },
  },
  {
    id: "list",
    title: "list by prefix",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      await scope.storage.put(`${scope.prefix}list/b`, "b");
      await scope.storage.put(`${scope.prefix}list/a`, "a");
      const keys = await listAll(scope.storage, `${scope.prefix}list/`);
      const expected = [`${scope.prefix}list/a`, `${scope.prefix}list/b`];
      if (keys.join() !== expected.join())
        throw misbehaves(
          scope,
          `listing '${scope.prefix}list/' returned [${keys.join(", ")}], ` +
            `expected [${expected.join(", ")}] in key order`,
        );
      return "2 keys, in key order";
    },
  },
  {
    id: "large",
    title: "large streamed put (multipart)",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      const body = largeBody();
      const started = performance.now();
      await scope.storage.put(`${scope.prefix}large`, body.stream());
      const seconds = (performance.now() - started) / 1000;
      const hash = createHash("sha256");
      for await (const chunk of await scope.storage.get(`${scope.prefix}large`)) hash.update(chunk as Buffer);
      if (hash.digest("hex") !== body.sha256)
        throw misbehaves(scope, "the large object read back differs from what was written");
      const how = scope.storage.capabilities.multipart ? "multipart upload" : "single streamed write";
      return (
        `${formatBytes(LARGE_PROBE_BYTES)} ${how} at ` +
        `${(LARGE_PROBE_BYTES / MIB / seconds).toFixed(1)} MiB/s, read ` +
        `back intact`
      );
    },
  },
  {
    id: "overwrite",
    title: "overwrite an existing key",
    required: false,
    needs: ["get"],
    run: async (scope) => {
      await scope.storage.put(`${scope.prefix}small`, "second version");
      const data = (await getBuffer(scope.storage, `${scope.prefix}small`)).toString();
      if (data === "second version")
        return "replaces the object (last writer wins); zops checks WAL keys before writing";
      throw misbehaves(scope, "an overwrite left the old content in place");
    },
  },
  {
    id: "missing",
    title: "get a missing key",
    required: true,
    needs: [],
    run: async (scope) => {
      try {
        await getBuffer(scope.storage, `${scope.prefix}does-not-exist`);
      } catch (error) {
        if (isZopsError(error, "STORAGE_NOT_FOUND")) return "reported as not found";
        throw error;
      }
      throw misbehaves(scope, "a get of a missing key returned data");
    },
  },
  {
    id: "delete",
    title: "delete (twice: idempotent)",
    required: true,
    needs: ["put"],
    run: async (scope) => {
      const keys = await listAll(scope.storage, scope.prefix);
      await scope.storage.delete(keys);
      await scope.storage.delete(keys);
      const left = await listAll(scope.storage, scope.prefix);
      if (left.length > 0)
        throw misbehaves(scope, `after deleting, ${left.length} key(s) are still listed (first '${left[0]}')`);
      if (await scope.storage.stat(`${scope.prefix}small`))
        throw misbehaves(scope, "a deleted object is still returned by stat");
      return `${keys.length} objects deleted, none left`;
    },
  },
];
