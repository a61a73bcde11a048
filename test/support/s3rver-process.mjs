// Runs one s3rver (3.7) as its own process for the test harness (test/support/s3.ts).
// argv: <directory> <port> <bucket>. Prints "READY <port>" on stdout once listening; exits
// when its stdin closes, so a crashed test run never leaves a server behind.
//
// Two fixes make s3rver behave like S3 where zops' contract depends on it (the fixes live
// here, in the test double, never in zops):
// - putObject writes a temp file and renames it over the object, and reports success only
//   after the data is on disk: stock s3rver writes the object file in place (two concurrent
//   writers interleave; a reader sees a half-written object) and answers before the write ends.
// - listObjects returns keys in byte order: stock s3rver walks directories in readdir order,
//   so lists of more than one page (1000 keys) skip or repeat keys.
// - deleteObject tolerates a concurrent delete emptying the same directory: stock s3rver's
//   DeleteObjects deletes its keys in parallel and answers 500 when two of them race to remove the
//   directory they leave empty.
// - getObject honours a range ending at byte 0 (`bytes=0-0`): stock s3rver reads `end: 0` as
//   "no end" and returns the whole object.
import S3rver from "s3rver";
import FilesystemStore from "s3rver/lib/stores/filesystem.js";
import S3Object from "s3rver/lib/models/object.js";
import { randomBytes, createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";

const [directory, portText, bucket] = process.argv.slice(2);
const OBJECT_SUFFIX = "._S3rver_object";

class AtomicStore extends FilesystemStore {
  async putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, "object");
    await mkdir(dirname(objectPath), { recursive: true });
    const temp = join(dirname(objectPath), `.s3rver-tmp-${randomBytes(6).toString("hex")}`);
    const md5 = createHash("md5");
    let size = 0;
    const count = new Transform({
      transform(chunk, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(object.content) ? [object.content] : object.content;
    try {
      // A concurrent delete may prune the directory between mkdir and open: make it again.
      const output = await new Promise((resolve, reject) => {
        const open = (retry) => {
          const stream = createWriteStream(temp);
          stream.once("open", () => resolve(stream));
          stream.once("error", (error) => {
            if (error.code === "ENOENT" && retry)
              mkdir(dirname(objectPath), { recursive: true }).then(() => open(false), reject);
            else reject(error);
          });
        };
        open(true);
      });
      await pipeline(source, count, output);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    const digest = md5.digest("hex");
    await rename(temp, objectPath);
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  }

  async deleteObject(bucketName, key) {
    for (const resource of ["object", "object.md5", "metadata.json"]) {
      await unlink(this.getResourcePath(bucketName, key, resource)).catch((error) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
    const parts = key.split("/").slice(0, -1);
    for (; parts.length > 0; parts.pop()) {
      try {
        await rmdir(join(this.getBucketPath(bucketName), ...parts));
      } catch {
        return;
      }
    }
  }

  async getObject(bucketName, key, options) {
    const object = await super.getObject(bucketName, key, options);
    if (object?.content && options?.end === 0) {
      object.content.destroy();
      object.content = createReadStream(this.getResourcePath(bucketName, key, "object"), {
        start: options.start ?? 0,
        end: 0,
      });
      object.range = { start: options.start ?? 0, end: 0 };
    }
    return object;
  }

  async listObjects(bucketName, options) {
    const { delimiter = "", startAfter = "", prefix = "", maxKeys = Infinity } = options;
    const root = this.getBucketPath(bucketName);
    const keys = [];
    const walk = async (dir, relative) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path, `${relative}${entry.name}/`);
        else if (entry.name.endsWith(OBJECT_SUFFIX))
          keys.push(`${relative}${entry.name.slice(0, -OBJECT_SUFFIX.length)}`);
      }
    };
    await walk(root, "");
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const selected = [];
    const commonPrefixes = new Set();
    let isTruncated = false;
    for (const key of keys) {
      if (key <= startAfter || !key.startsWith(prefix)) continue;
      const cut = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
      if (cut !== -1) {
        commonPrefixes.add(key.slice(0, prefix.length + cut + 1));
        continue;
      }
      if (selected.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      selected.push(key);
    }
    const objects = [];
    for (const key of selected) {
      const metadata = await this.getMetadata(bucketName, key).catch((error) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (metadata) objects.push({ key, metadata });
    }
    return {
      objects: objects.map(({ key, metadata }) => new S3Object(bucketName, key, null, metadata)),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated,
    };
  }
}

const server = new S3rver({
  address: "127.0.0.1",
  port: Number(portText),
  directory,
  silent: process.env.S3RVER_DEBUG !== "1",
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
});
server.store = server.context.store = new AtomicStore(directory);

await mkdir(directory, { recursive: true });
await stat(directory);
const address = await server.run();
process.stdout.write(`READY ${address.port}\n`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
