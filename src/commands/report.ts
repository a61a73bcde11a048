import type { ZopsConfig } from "../config/index.js";
import { writeOutputFile } from "../fsio/write-output-file.js";
import { openRepository } from "../repo/repository.js";
import { gatherReportInputs } from "../report/gather.js";
import { buildReportModel } from "../report/model.js";
import { renderReportHtml } from "../report/render-html.js";
import { formatReportSummary, reportJson } from "../report/summary.js";
import { openStorage } from "../storage/open.js";
import type { CommandMeta, CommandResult, GlobalOptions } from "./command.js";
import { STANDARD_EXITS } from "./exits.js";
import { loadCommandConfig } from "./load-config.js";

/** No lock: a read-only summary. */
export const meta: CommandMeta = { lock: "none", exits: STANDARD_EXITS };

/**
 * `zops report [--html FILE]`: the recovery window, backups, drills (RTO/RPO), retention and upgrades, as a few lines
 * (or --json) and, with --html, one self-contained page written atomically to FILE. Read-only on the repository.
 */
export const runReport = async (
  globals: GlobalOptions,
  options: { html?: string } = {},
  deps: { now?: () => Date; config?: ZopsConfig } = {},
): Promise<CommandResult> => {
  const config = deps.config ?? (await loadCommandConfig(globals)).config;
  const storage = await openStorage(config);
  try {
    await openRepository(storage);
    const model = buildReportModel(await gatherReportInputs(storage, config), deps.now?.() ?? new Date());
    if (options.html) await writeOutputFile(options.html, renderReportHtml(model));
    const summary = formatReportSummary(model);
    return {
      text: options.html ? `${summary}\nwrote ${options.html}` : summary,
      json: { ...reportJson(model), html: options.html ?? null },
    };
  } finally {
    await storage.close?.();
  }
};
