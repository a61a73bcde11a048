import { ZopsError } from "../errors/index.js";
import type { ProbeEntry } from "./probe.js";
import { archivePushProbe } from "./probes/archive-push.js";
import { PROBES } from "./registry.js";

/**
 * The probes named in `only` (comma-separated) plus the probes they need, in registry order; all of them when `only`
 * is empty; with `archiveTimeoutMs` (`--archive`) the active archive probe last. Pure. @throws USAGE naming an
 * unknown probe.
 */
export const selectProbes = (
  only: string | undefined,
  options: { archiveTimeoutMs?: number } = {},
): readonly ProbeEntry[] => {
  const passive = selectPassive(only);
  if (options.archiveTimeoutMs === undefined) return passive;
  const needs = ["postgres", "repository"];
  const chosen = PROBES.filter((probe) => passive.includes(probe) || needs.includes(probe.name));
  return [...chosen, { name: "archive", probe: archivePushProbe(options.archiveTimeoutMs), needs }];
};

const selectPassive = (only: string | undefined): readonly ProbeEntry[] => {
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
