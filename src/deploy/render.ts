import { ZopsError } from "../errors/index.js";

/** Values of `{{name}}` placeholders in config templates and hook argv. */
export type TemplateVars = Readonly<Record<string, string>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces every `{{name}}` in `text`; throws PRECONDITION naming `source` and the unknown variable. Pure. */
export const renderTemplate = (text: string, vars: TemplateVars, source: string): string =>
  text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      throw new ZopsError("PRECONDITION", `${source} uses the unknown variable '{{${name}}}'`, {
        hint: `define it under deploy.vars in the zops config (known: ${Object.keys(vars).sort().join(", ")})`,
      });
    }
    return value;
  });

/** Renders each argument of a hook or health command (pure). */
export const renderArgv = (argv: readonly string[], vars: TemplateVars, source: string): string[] =>
  argv.map((arg) => renderTemplate(arg, vars, source));

/** What the built-in variables are made of. */
export interface VarSources {
  readonly name: string;
  readonly version: string;
  readonly root: string;
  readonly sharedDir: string;
  readonly configDir: string;
  readonly deployment: string;
  readonly extra: Readonly<Record<string, string>>;
}

/** Built-in variables (name, version, root, sharedDir, configDir, deployment, node) plus deploy.vars (pure). */
export const templateVars = (sources: VarSources): TemplateVars => ({
  ...sources.extra,
  name: sources.name,
  version: sources.version,
  root: sources.root,
  sharedDir: sources.sharedDir,
  configDir: sources.configDir,
  deployment: sources.deployment,
  node: process.execPath,
});
