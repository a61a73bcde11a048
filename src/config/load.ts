import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { ZopsError } from "../errors/index.js";
import { lineOf } from "./locate.js";
import { configSchema, type ZopsConfig } from "./schema.js";

const HINT = "see templates/zops.yml for every key with its meaning and default";

/** A loaded configuration and the file it came from. */
export interface LoadedConfig {
  readonly path: string;
  readonly config: ZopsConfig;
}

/** Reads, parses and validates a zops.yml; every error names the file, the key, the line and what was expected. */
export const loadConfig = async (path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> => {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ZopsError(
      "CONFIG_INVALID",
      `unable to read configuration file '${path}': ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
      {
        hint: `create it from templates/zops.yml, or pass --config FILE / set ZOPS_CONFIG`,
        cause: error,
      },
    );
  }
  return { path, config: parseConfig(text, path, env) };
};

/** Validates YAML text as a zops configuration (pure apart from `env` overrides). */
export const parseConfig = (text: string, path: string, env: NodeJS.ProcessEnv = process.env): ZopsConfig => {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = counter.linePos(syntax.pos[0]).line;
    throw new ZopsError("CONFIG_INVALID", `${path}:${line}: invalid YAML: ${syntax.message.split("\n")[0]}`, {
      hint: HINT,
    });
  }
  const raw = applyEnvOverrides(dropEmptySections(doc.toJS() ?? {}), env);
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => describeIssue(issue, doc, counter, path));
  throw new ZopsError("CONFIG_INVALID", `invalid configuration:\n  ${messages.join("\n  ")}`, {
    hint: HINT,
    details: { problems: messages },
  });
};

const describeIssue = (
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: string,
): string => {
  const keyPath = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) => {
        const full = [...keyPath, key].join(".");
        const line = lineOf(doc, counter, issue.path, key);
        return `${path}:${line ?? "?"}: unknown key '${full}' (expected one of: ${knownKeys(keyPath).join(", ")})`;
      })
      .join("\n  ");
  }
  const line = lineOf(doc, counter, issue.path);
  const key = keyPath.join(".") || "(top level)";
  const missing = issue.code === "invalid_type" && (issue.input === undefined || !("input" in issue));
  const what = missing
    ? `missing required key '${key}' (expected ${issue.expected})`
    : `key '${key}': ${expectation(issue)}`;
  return `${path}:${line ?? "?"}: ${what}`;
};

const expectation = (issue: z.core.$ZodIssue): string => {
  if (issue.code === "invalid_type") return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
  if (issue.code === "invalid_format" || issue.code === "invalid_value")
    return `${issue.message}, got ${describeValue(issue.input)}`;
  if (issue.code === "too_small" || issue.code === "too_big")
    return `${issue.message}, got ${describeValue(issue.input)}`;
  return (
    `expected ${issue.message.replace(/^Invalid string: must match pattern .*$/, "a valid value")}, ` +
    `got ${describeValue(issue.input)}`
  );
};

const describeValue = (value: unknown): string =>
  value === undefined
    ? "nothing"
    : value === null
      ? "null"
      : Array.isArray(value)
        ? "a list"
        : typeof value === "object"
          ? "a mapping"
          : `${typeof value} ${JSON.stringify(value)}`;

const knownKeys = (path: readonly string[]): string[] => {
  let schema: unknown = configSchema;
  for (const part of path) schema = unwrap(schema)?.shape?.[part];
  return Object.keys(unwrap(schema)?.shape ?? {});
};

const unwrap = (schema: unknown): { shape?: Record<string, unknown> } | undefined => {
  let current = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  while (current && !current.shape && current.def?.innerType) current = current.def.innerType as typeof current;
  return current;
};

// Environment variables override a few keys (ZOPS_REPOSITORY_URL), for one-off runs and tests.
const applyEnvOverrides = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> => {
  if (!env.ZOPS_REPOSITORY_URL) return raw;
  const repository = typeof raw.repository === "object" && raw.repository !== null ? raw.repository : {};
  return { ...raw, repository: { ...repository, url: env.ZOPS_REPOSITORY_URL } };
};

// A section whose keys are all commented out parses as null: treat it as empty (defaults apply).
const dropEmptySections = (raw: Record<string, unknown>): Record<string, unknown> =>
  typeof raw === "object" && !Array.isArray(raw)
    ? Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null))
    : raw;
