// Types of stage-runtime.mjs.
export declare const stageRuntime: (
  checkout: string,
  dir: string,
) => Promise<{ name: string; version: string; zops: { release: string } }>;
