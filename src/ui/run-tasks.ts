import { Listr, PRESET_TIMER, PRESET_TIMESTAMP, type ListrRendererValue, type ListrTask } from "listr2";

/** A zops task graph (renderer chosen at run time). */
export type ZopsListr<Ctx> = Listr<Ctx, ListrRendererValue, ListrRendererValue>;

/** How output is wanted: JSON for machines (the graph stays silent), and whether to show details. */
export interface OutputMode {
  readonly json: boolean;
  readonly verbose: boolean;
}

/**
 * Builds a Listr graph with zops' renderer policy (plain + timestamps when not a TTY, a 0-column terminal or a graph
 * that asks questions; silent with --json).
 */
export const createTasks = <Ctx extends object>(
  tasks: ListrTask<Ctx, any, any>[],
  globals: OutputMode,
  options: { concurrent?: boolean | number; exitOnError?: boolean; interactive?: boolean } = {},
): ZopsListr<Ctx> => {
  const quiet = globals.json || process.env.ZOPS_QUIET === "1";
  // A graph that may ask a question uses the line renderer (no redraw over the prompt); so does a terminal that
  // reports no width (a pty with 0 columns would get one character per line).
  const plain = options.interactive === true || !process.stdout.isTTY || !process.stdout.columns;
  return new Listr<Ctx, ListrRendererValue, ListrRendererValue>(tasks, {
    concurrent: options.concurrent ?? false,
    exitOnError: options.exitOnError ?? true,
    collectErrors: "minimal",
    renderer: quiet ? "silent" : "default",
    fallbackRenderer: quiet ? "silent" : "simple",
    fallbackRendererCondition: plain,
    rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false, showErrorMessage: false },
    fallbackRendererOptions: { timestamp: PRESET_TIMESTAMP, timer: PRESET_TIMER },
  });
};

/** Formats transferred bytes and rate for a task title or output ("120.5 MiB at 80.2 MiB/s"). */
export const formatProgress = (bytes: number, startedMs: number): string => {
  const seconds = Math.max((performance.now() - startedMs) / 1000, 0.001);
  const mib = bytes / 1048576;
  return `${mib.toFixed(1)} MiB at ${(mib / seconds).toFixed(1)} MiB/s`;
};
