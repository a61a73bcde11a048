import { pieceJobHandlers } from "../backup/piece-jobs.js";
import { walJobHandlers } from "../wal/prepare.js";
import { serveJobs } from "../workers/serve.js";

// The one worker-thread entry of every WorkerPool: bundled as dist/bin/zops-worker.js, run from source under tsx in
// tests. Each area registers the handlers of its jobs here.
serveJobs(pieceJobHandlers, walJobHandlers);
