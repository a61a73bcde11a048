import { WorkerPool } from "../workers/pool.js";
import type { PieceJobs } from "./piece-jobs.js";

/** A worker pool running the data-object jobs of backup, restore and verify (./piece-jobs.ts). */
export type PiecePool = WorkerPool<PieceJobs>;

/** Starts `size` worker threads for data-object jobs; close the pool when done. */
export const openPiecePool = (size: number): PiecePool => new WorkerPool<PieceJobs>(size);
