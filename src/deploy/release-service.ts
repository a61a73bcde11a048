import type { ZopsConfig } from "../config/index.js";
import type { DeployPaths } from "./paths.js";
import type { ReleaseManifest } from "./release-manifest.js";
import { renderArgv, renderTemplate, templateVars, type TemplateVars } from "./render.js";
import type { HealthCheck, ServiceCommand } from "./service.js";

/** How to stop, start and health-check the service of one deployment. */
export interface ReleaseService {
  readonly stop: ServiceCommand | undefined;
  readonly start: ServiceCommand | undefined;
  readonly health: HealthCheck;
  readonly timeoutMs: number;
}

/** Template variables for a release unpacked (or to be unpacked) at `deployment` (pure). */
export const releaseVars = (
  config: Pick<ZopsConfig, "deploy">,
  paths: DeployPaths,
  manifest: ReleaseManifest,
  deployment: string,
): TemplateVars =>
  templateVars({
    name: manifest.name,
    version: manifest.version,
    root: paths.root,
    sharedDir: paths.shared,
    configDir: paths.configDir,
    deployment,
    extra: config.deploy.vars,
  });

/**
 * Service commands and health check of a deployment: deploy.service/health override the manifest's hooks (pure; throws
 * PRECONDITION on an unknown variable).
 */
export const releaseService = (
  config: Pick<ZopsConfig, "deploy">,
  paths: DeployPaths,
  manifest: ReleaseManifest,
  deployment: string,
): ReleaseService => {
  const vars = releaseVars(config, paths, manifest, deployment);
  const command = (argv: readonly string[] | undefined, what: string): ServiceCommand | undefined =>
    argv ? { argv: renderArgv(argv, vars, what), cwd: deployment } : undefined;
  const service = config.deploy.service;
  const health = config.deploy.health;
  const url = health.url ?? manifest.health.url;
  return {
    stop: command(service.stop ?? manifest.hooks.stop, "the stop command"),
    start: command(service.start ?? manifest.hooks.start, "the start command"),
    health: {
      url: url === undefined ? undefined : renderTemplate(url, vars, "the health URL"),
      command: command(health.command ?? manifest.health.command, "the health command"),
      deadlineMs: health.deadlineSeconds * 1000,
      intervalMs: health.intervalMs,
    },
    timeoutMs: service.timeoutSeconds * 1000,
  };
};

/** Environment passed to hooks (like Zulip's ZULIP_OLD_VERSION/ZULIP_NEW_VERSION). */
export const hookEnv = (
  oldVersion: string | undefined,
  newVersion: string,
  deployment: string,
): Record<string, string> => ({
  ZOPS_OLD_VERSION: oldVersion ?? "",
  ZOPS_NEW_VERSION: newVersion,
  ZOPS_DEPLOYMENT: deployment,
});
