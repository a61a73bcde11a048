import { ZopsError } from "../errors/index.js";
import type { ProbeEntry } from "./probe.js";
import { PROBES } from "./registry.js";

/**
 * The probes named in `only` (comma-separated) plus the probes they need, in registry order; all of them when `only`
 * is empty. Pure. @throws USAGE naming an unknown probe.
 */
export const selectProbes = (only: string | undefined): readonly ProbeEntry[] => {
  if (!only) return PROBES;
  const names = only
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !PROBES.some((probe) => probe.name === name));
  if (unknown.length > 0)
    throw new ZopsError("USAGE", `unknown check '${unknown.join("', '")}' in --only`, {
      hint: `checks: ${PROBES.map((probe) => probe.name).join(", ")}`,
    });
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const need of PROBES.find((probe) => probe.name === name)?.needs ?? []) add(need);
  };
  for (const name of names) add(name);
  return PROBES.filter((probe) => wanted.has(probe.name));
};
