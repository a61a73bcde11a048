// Types of build-releases.mjs (for TypeScript tests, the bench and the README demo).
export declare const buildDemoRelease: (
  outDir: string,
  version: "1.0.0" | "2.0.0" | "3.0.0",
  options?: { extraConfigs?: number },
) => Promise<string>;
export declare const buildDemoReleases: (outDir: string) => Promise<{ v1: string; v2: string; v3: string }>;
