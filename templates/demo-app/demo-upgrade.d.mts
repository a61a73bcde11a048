// Types of demo-upgrade.mjs (the upgrade part of the README demo).
export declare const demoUpgrade: (options: {
  dir: string;
  postgres: { host: string; port: number; user?: string };
  /** Repository URL the upgrade checks for a fresh backup (default: an empty one under `dir`). */
  repository?: string;
  zops?: string[];
  log?: (text: string) => void;
}) => Promise<string>;
