import { createRequire } from "node:module";
import type * as Zstd from "zstd-napi";
import type * as Binding from "zstd-napi/binding.js";
import { ZopsError } from "../errors/index.js";

// The one place that loads the native zstd module (zstd-napi): its stream and buffer API for compress/zstd.ts, and its
// low-level contexts for compress/frames.ts. Each is loaded at most once per thread, on first use.

const require = createRequire(import.meta.url);
let api: typeof Zstd | undefined;
let binding: typeof Binding | undefined;

const load = <T>(id: string): T => {
  try {
    return require(id) as T;
  } catch (error) {
    throw new ZopsError("INTERNAL", `the zstd binding (zstd-napi) could not be loaded: ${(error as Error).message}`, {
      hint: "reinstall zops with build tools present (npm ci needs python3, make and g++ to build zstd-napi)",
      cause: error,
    });
  }
};

/** zstd-napi's stream and buffer API, loaded once per thread. @throws INTERNAL when the binding was not built. */
export const zstdApi = (): typeof Zstd => (api ??= load<typeof Zstd>("zstd-napi"));

/** zstd-napi's low-level binding (contexts), loaded once per thread. @throws INTERNAL when it was not built. */
export const zstdBinding = (): typeof Binding => (binding ??= load<typeof Binding>("zstd-napi/binding"));
