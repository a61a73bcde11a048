import { parse } from "yaml";
import { z } from "zod";
import { ZopsError } from "../errors/index.js";

/** File name of the release manifest inside the release's top directory. */
export const MANIFEST_NAME = "zops-release.yml";

// A path inside the release or under the config directory: relative, no `..`, no empty parts.
const relativePath = z
  .string()
  .min(1)
  .refine(
    (path) => !path.startsWith("/") && path.split("/").every((part) => part !== ".." && part !== "" && part !== "."),
    "a relative path without '..'",
  );

const argv = z.array(z.string().min(1)).min(1);

const configEntry = z.strictObject({
  /** Template inside the release. */
  template: relativePath,
  /** Destination relative to `deploy.configDir`. */
  destination: relativePath,
  /** Octal mode for a new file ("0640"); an existing file keeps its mode. */
  mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'an octal mode such as "0640"')
    .prefault("0644"),
  /** Owner and group for a new file (an existing file keeps its owner). */
  owner: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
});

/** The release manifest (`zops-release.yml`), format 1: see docs/release-format.md. */
export const releaseManifestSchema = z.strictObject({
  format: z.literal(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a name of letters, digits, '.', '_' and '-'"),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, "a version such as 2.1.0"),
  /** Directory of node-pg-migrate migrations inside the release. */
  migrations: relativePath.optional(),
  configs: z.array(configEntry).prefault([]),
  hooks: z.strictObject({ stop: argv.optional(), start: argv.optional() }).prefault({}),
  health: z.strictObject({ url: z.string().min(1).optional(), command: argv.optional() }).prefault({}),
  /** Directories linked from `<root>/shared/<dir>` into every deployment (uploads, logs...). */
  shared: z.array(relativePath).prefault([]),
});

export type ReleaseManifest = z.output<typeof releaseManifestSchema>;
export type ConfigEntry = ReleaseManifest["configs"][number];

/** Parses and validates manifest text; throws PRECONDITION naming the source, the key and the problem. */
export const parseReleaseManifest = (text: string, source: string): ReleaseManifest => {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ZopsError(
      "PRECONDITION",
      `release manifest ${source} is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
      { hint: "see docs/release-format.md" },
    );
  }
  const result = releaseManifestSchema.safeParse(raw);
  if (result.success) {
    const destinations = new Set<string>();
    for (const entry of result.data.configs) {
      if (destinations.has(entry.destination))
        throw new ZopsError(
          "PRECONDITION",
          `release manifest ${source}: config destination '${entry.destination}' is listed twice`,
        );
      destinations.add(entry.destination);
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  throw new ZopsError("PRECONDITION", `release manifest ${source} is invalid:\n  ${problems.join("\n  ")}`, {
    hint: "see docs/release-format.md for the manifest format",
  });
};
