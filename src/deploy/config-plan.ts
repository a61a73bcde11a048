import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Of } from "../crypto/hash.js";
import type { ConffileTable } from "./conffile-table.js";
import { readShippedContent } from "./conffile-table.js";
import { threeWayDiff } from "./diff.js";
import { actionFor, classifyConffile, type ConfigPolicy, type DriftAction, type DriftClass } from "./drift.js";
import type { ReleaseManifest } from "./release-manifest.js";
import { renderTemplate, type TemplateVars } from "./render.js";

/** The plan for one config file of the new release. */
export interface ConfigChange {
  readonly destination: string;
  readonly path: string;
  readonly kind: DriftClass;
  readonly action: DriftAction;
  readonly shipped: Buffer;
  readonly shippedSha: string;
  readonly baseSha: string | undefined;
  readonly diskSha: string | undefined;
  readonly mode: number;
  readonly owner: string | undefined;
  readonly group: string | undefined;
  /** 3-way diff (local, installed, new) for conflicts. */
  readonly diff: string | undefined;
}

/** What planning the configs needs. */
export interface ConfigPlanInput {
  readonly manifest: ReleaseManifest;
  /** Reads a template (path relative to the release top). */
  readonly readTemplate: (path: string) => Promise<Buffer>;
  readonly vars: TemplateVars;
  readonly configDir: string;
  readonly table: ConffileTable;
  readonly store: string;
  readonly policy: ConfigPolicy;
  /** Version last installed (labels of the 3-way diff). */
  readonly installedVersion: string | undefined;
}

const readOptional = (path: string): Promise<Buffer | undefined> =>
  readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });

/** Renders every config template and classifies it against the conffile table and the disk (reads only). */
export const planConfigs = async (input: ConfigPlanInput): Promise<ConfigChange[]> => {
  const changes: ConfigChange[] = [];
  for (const entry of input.manifest.configs) {
    const template = (await input.readTemplate(entry.template)).toString("utf8");
    const shipped = Buffer.from(renderTemplate(template, input.vars, `config template '${entry.template}'`));
    const path = join(input.configDir, entry.destination);
    const disk = await readOptional(path);
    const shippedSha = sha256Of(shipped);
    const diskSha = disk === undefined ? undefined : sha256Of(disk);
    const baseSha = input.table.files[entry.destination]?.sha256;
    const kind = classifyConffile(baseSha, shippedSha, diskSha);
    const action = actionFor(kind, input.policy);
    let diff: string | undefined;
    if (kind === "conflict" || kind === "created-locally") {
      const base = baseSha ? await readShippedContent(input.store, baseSha) : undefined;
      diff = await threeWayDiff(
        { label: `${path} (on disk)`, text: disk?.toString("utf8") },
        {
          label: `${path} (installed${input.installedVersion ? ` by ${input.installedVersion}` : ""})`,
          text: base?.toString("utf8"),
        },
        { label: `${path} (new in ${input.manifest.version})`, text: shipped.toString("utf8") },
      );
    }
    changes.push({
      destination: entry.destination,
      path,
      kind,
      action,
      shipped,
      shippedSha,
      baseSha,
      diskSha,
      mode: Number.parseInt(entry.mode, 8),
      owner: entry.owner,
      group: entry.group,
      diff,
    });
  }
  return changes;
};
