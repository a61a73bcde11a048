import type { ListrTask } from "listr2";
import { ZopsError } from "../../src/errors/index.js";
import { listAll } from "../../src/storage/read.js";
import { PROBES, type Probe, type ProbeScope } from "./check-probes.js";

/** Outcome of one probe. */
export interface ProbeResult {
  readonly id: string;
  readonly operation: string;
  readonly required: boolean;
  readonly status: "ok" | "failed" | "skipped";
  readonly ms: number;
  readonly detail: string;
  readonly error?: ZopsError;
}

/** Shared state of the `repo check` graph. */
export interface RepoCheckContext {
  readonly scope: ProbeScope;
  readonly results: ProbeResult[];
}

const toZops = (error: unknown): ZopsError =>
  error instanceof ZopsError
    ? error
    : new ZopsError("INTERNAL", error instanceof Error ? error.message : String(error), { cause: error });

/** One Listr task per probe: skipped (with the reason) when a probe it needs failed; records its result either way. */
export const probeTask = (probe: Probe): ListrTask<RepoCheckContext> => ({
  title: probe.title,
  task: async (ctx, task) => {
    const missing = probe.needs.find((id) => ctx.results.find((result) => result.id === id)?.status !== "ok");
    if (missing) {
      const reason = `skipped: needs a working '${PROBES.find((other) => other.id === missing)?.title ?? missing}'`;
      ctx.results.push({
        id: probe.id,
        operation: probe.title,
        required: probe.required,
        status: "skipped",
        ms: 0,
        detail: reason,
      });
      task.skip(reason);
      return;
    }
    const started = performance.now();
    try {
      const detail = await probe.run(ctx.scope);
      ctx.results.push({
        id: probe.id,
        operation: probe.title,
        required: probe.required,
        status: "ok",
        ms: performance.now() - started,
        detail,
      });
      task.title = `${probe.title}: ${detail}`;
    } catch (error) {
      const zops = toZops(error);
      ctx.results.push({
        id: probe.id,
        operation: probe.title,
        required: probe.required,
        status: "failed",
        ms: performance.now() - started,
        detail: zops.message,
        error: zops,
      });
      throw zops;
    }
  },
});

/** Removes whatever the probes left under the scratch prefix (best effort; reports what it could not remove). */
export const cleanupTask = (): ListrTask<RepoCheckContext> => ({
  title: "Remove the test objects",
  task: async (ctx, task) => {
    const keys = await listAll(ctx.scope.storage, ctx.scope.prefix);
    if (keys.length === 0) {
      task.skip("nothing left to remove");
      return;
    }
    await ctx.scope.storage.delete(keys);
    task.title = `Removed ${keys.length} test object(s) under ${ctx.scope.prefix}`;
  },
});
