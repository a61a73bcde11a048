#!/usr/bin/env node
import { walPushFromSpool } from "./wal-push-fast.js";

// A wal-push for a file the background pusher already stored is answered before the CLI (commander, the error
// registry, the storage drivers) loads: PostgreSQL starts one such process per WAL segment. The bundle inlines
// the fast path into this entry file, so such a call loads no other zops module (scripts/bundle.mjs).
const args = process.argv.slice(2);
const served = args.includes("wal-push") && (await walPushFromSpool(args));
if (!served) await (await import("../cli.js")).main();
// An archive call has given its answer (within wal.deadlineSeconds, src/wal/deadline.ts): a socket still hung on a
// stalled endpoint must not keep PostgreSQL's archiver, or the pusher it started, waiting for the process to end.
if (!served && args.some((arg) => arg === "wal-push" || arg === "wal-fetch" || arg === "wal-push-ahead"))
  setTimeout(() => process.exit(), 1000).unref();
