import { formatBytes, formatDuration } from "../ui/output.js";
import type { ReportModel } from "./model.js";
import { escapeHtml as h, formatSpan, formatTime } from "./text.js";
import { renderTimeline } from "./timeline-svg.js";

const STYLE = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; background: #fff; margin: 0 auto; max-width: 1040px; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid
  var(--line); padding-bottom: 4px; }
.sub, .note, footer { color: var(--muted); font-size: 13px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.verdict { border-radius: 8px; padding: 14px 18px; margin: 18px 0; font-size: 16px; border: 1px solid; }
.verdict.ok { background: #dafbe1; border-color: #4ac26b; }
.verdict.warn { background: #fff8c5; border-color: #d4a72c; }
.verdict.bad { background: #ffebe9; border-color: #ff8182; }
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin: 2px 0; }
.card .detail { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
.bar { display: inline-block; height: 8px; background: #54aeff; border-radius: 2px; vertical-align: middle; }
.timeline { display: block; margin: 6px 0; }
.timeline .row { font-size: 13px; fill: #1f2328; } .timeline .tick { font-size: 11px; fill: var(--muted);
  text-anchor: middle; }
.timeline .lane { stroke: #eaeef2; stroke-width: 1; } .timeline .axis { stroke: #8c959f; stroke-width: 1; }
.timeline .covered { fill: #4ac26b; } .timeline .gap { fill: var(--bad); }
.timeline .backup-full { fill: #0969da; } .timeline .backup-incr { fill: #fff; stroke: #0969da; stroke-width: 2; }
.timeline .drill-pass { fill: var(--ok); } .timeline .drill-fail { fill: var(--bad); }
.timeline .now { stroke: #8c959f; stroke-dasharray: 3 3; }
.legend { font-size: 12px; color: var(--muted); } .legend span { margin-right: 16px; }
.legend .full { color: #0969da; }
@media print { body { padding: 0; } .verdict, .card { break-inside: avoid; } }
`;

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no external asset (fonts, images,
 * links to other sites), so it can be mailed and read offline or printed. Pure.
 */
export const renderReportHtml = (model: ReportModel): string => {
  const title = `zops recovery report: ${model.repository}`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)}</title><style>${STYLE}</style></head><body>`,
    "<header><h1>Recovery report</h1>",
    `<p class="sub">Repository <code>${h(model.repository)}</code> · generated ${h(formatTime(model.generatedAt))} ` +
      "by zops (read-only: nothing was changed to make this page)</p></header>",
    verdict(model),
    cards(model),
    '<section><h2>Recovery window</h2><p class="note">The database can be restored to any moment in green: a backup ' +
      "followed by an unbroken chain of archived WAL. A red mark is a gap in the WAL archive that recovery cannot " +
      "cross.</p>",
    renderTimeline(model),
    '<p class="legend"><span><b class="full">◆</b> full backup</span><span><b class="full">◇</b> incremental ' +
      'backup</span><span><b class="pass">●</b> drill passed</span><span><b class="fail">●</b> drill failed</span>' +
      '<span><b class="pass">▬</b> recoverable</span><span><b class="fail">▮</b> WAL gap</span></p>',
    gapsList(model),
    "</section>",
    drillsSection(model),
    backupsSection(model),
    retentionSection(model),
    upgradesSection(model),
    `<footer><p>Times are UTC. Recovery time (RTO): from the start of a drill's restore to the first query ` +
      `answered. Data-loss window (RPO): as each drill measured it. Made by <code>zops report --html</code>.</p>` +
      "</footer></body></html>",
    "",
  ].join("\n");
};

const verdict = (model: ReportModel): string => {
  const last = model.drills[model.drills.length - 1];
  if (!model.window)
    return (
      '<div class="verdict bad"><strong>No restorable backup in this repository.</strong> Run <code>zops backup' +
      "</code> and check that WAL archiving works (<code>zops check</code>).</div>"
    );
  const window =
    `Restorable to any moment from <strong>${h(formatTime(model.window.from))}</strong> to ` +
    `<strong>${h(formatTime(model.window.to))}</strong> ` +
    `(${h(formatSpan(model.window.to.getTime() - model.window.from.getTime()))})` +
    (model.gaps.length > 0 ? `, except across ${model.gaps.length} WAL gap(s)` : "");
  const drill = last
    ? `The last restore drill (${h(formatTime(last.finishedAt))}) <strong>${last.ok ? "passed" : "FAILED"}</strong>.`
    : "<strong>No restore drill has run yet</strong>: schedule <code>zops drill</code>.";
  const broken =
    model.unrestorable.length > 0
      ? ` <strong>${model.unrestorable.length} backup(s) cannot be restored</strong>: ` +
        model.unrestorable.map((backup) => `${h(backup.id)} (${h(backup.reason)})`).join("; ") +
        " (run <code>zops verify</code>)."
      : "";
  const level =
    last && !last.ok ? "bad" : !last || model.gaps.length > 0 || model.unrestorable.length > 0 ? "warn" : "ok";
  return `<div class="verdict ${level}">${window}. ${drill}${broken}</div>`;
};

const card = (label: string, value: string, detail: string): string =>
  `<div class="card"><div class="label">${h(label)}</div><div class="value">${value}</div>` +
  `<div class="detail">${detail}</div></div>`;

const cards = (model: ReportModel): string => {
  const lastBackup = model.backups[model.backups.length - 1];
  const lastDrill = model.drills[model.drills.length - 1];
  const now = model.generatedAt.getTime();
  const recent = `over the last ${model.recentDrills} drill(s)`;
  return `<section class="cards">${[
    card(
      "Recovery window",
      model.window ? h(formatSpan(model.window.to.getTime() - model.window.from.getTime())) : "none",
      model.window ? `newest WAL ${h(formatSpan(now - model.window.to.getTime()))} before this report` : "no backup",
    ),
    card(
      "Last backup",
      lastBackup ? `${h(formatSpan(now - lastBackup.stoppedAt.getTime()))} ago` : "none",
      lastBackup ? `${lastBackup.type}, ${h(formatBytes(lastBackup.databaseBytes))}` : "run zops backup",
    ),
    card(
      "Last drill",
      lastDrill
        ? `<span class="${lastDrill.ok ? "pass" : "fail"}">${lastDrill.ok ? "passed" : "FAILED"}</span>`
        : "none",
      lastDrill ? `${h(formatSpan(now - lastDrill.finishedAt.getTime()))} ago` : "schedule zops drill",
    ),
    card(
      "RTO",
      model.rto ? h(formatDuration(model.rto.last)) : "unknown",
      model.rto
        ? `median ${h(formatDuration(model.rto.median))}, worst ${h(formatDuration(model.rto.max))} ${recent}`
        : "no drill",
    ),
    card(
      "RPO",
      model.rpo ? h(formatDuration(model.rpo.last * 1000)) : "unknown",
      model.rpo
        ? `median ${h(formatDuration(model.rpo.median * 1000))}, ` +
            `worst ${h(formatDuration(model.rpo.max * 1000))} ${recent}`
        : "no drill",
    ),
  ].join("")}</section>`;
};

const gapsList = (model: ReportModel): string =>
  model.gaps.length === 0
    ? '<p class="note">No gap in the WAL archive.</p>'
    : `<ul>${model.gaps
        .map(
          (gap) =>
            `<li class="fail">${gap.missing} WAL segment(s) missing from <code>${h(gap.firstMissing)}</code> ` +
            `(between ${h(formatTime(gap.from))} and ${h(formatTime(gap.to))}): take a new full backup</li>`,
        )
        .join("")}</ul>`;

const drillsSection = (model: ReportModel): string => {
  if (model.drills.length === 0)
    return (
      "<section><h2>Restore drills</h2><p>No restore drill has run. <code>zops drill</code> restores the newest " +
      "backup into a scratch cluster, replays the WAL archive, verifies the data and measures RTO and RPO." +
      "</p></section>"
    );
  const rows = [...model.drills]
    .reverse()
    .slice(0, 20)
    .map(
      (drill) =>
        `<tr><td>${h(formatTime(drill.finishedAt))}</td><td><code>${h(drill.backup ?? "?")}</code></td>` +
        `<td class="${drill.ok ? "pass" : "fail"}">${drill.ok ? "passed" : "FAILED"}</td>` +
        `<td class="num">${drill.rtoMs === undefined ? "?" : h(formatDuration(drill.rtoMs))}</td>` +
        `<td class="num">${drill.rpoSeconds === undefined ? "?" : h(formatDuration(drill.rpoSeconds * 1000))}</td>` +
        `<td>${h(drill.failed.join(", "))}</td></tr>`,
    );
  return (
    "<section><h2>Restore drills</h2><table><thead><tr><th>Finished</th><th>Backup</th><th>Result</th>" +
    `<th>RTO</th><th>RPO</th><th>Failed checks</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`
  );
};

const backupsSection = (model: ReportModel): string => {
  if (model.backups.length === 0) return "<section><h2>Backups</h2><p>No backup in the repository.</p></section>";
  const largest = Math.max(1, ...model.backups.map((backup) => backup.databaseBytes));
  const rows = [...model.backups]
    .reverse()
    .map(
      (backup) =>
        `<tr><td>${h(formatTime(backup.stoppedAt))}</td><td>${backup.type}</td><td><code>${h(backup.id)}</code></td>` +
        `<td class="num">${h(formatDuration(backup.durationMs))}</td>` +
        `<td class="num">${h(formatBytes(backup.databaseBytes))} <span class="bar" style="width:` +
        `${Math.max(2, Math.round((backup.databaseBytes / largest) * 80))}px"></span></td>` +
        `<td class="num">${h(formatBytes(backup.storedBytes))}</td>` +
        `<td>${recoverableCell(backup.recoverable?.to)}</td></tr>`,
    );
  return (
    "<section><h2>Backups</h2><table><thead><tr><th>Finished</th><th>Type</th><th>Id</th><th>Duration</th>" +
    `<th>Database</th><th>Stored</th><th>Recoverable</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`
  );
};

const recoverableCell = (to: Date | undefined): string =>
  to ? `to ${h(formatTime(to))}` : '<span class="fail">WAL missing</span>';

const retentionSection = (model: ReportModel): string =>
  `<section><h2>Retention</h2><p>Keeps the newest <strong>${model.retention.full}</strong> full backup(s), each ` +
  "with its incremental backups and the WAL they need (<code>backup.retention.full</code>); " +
  `<code>zops expire</code> runs after every nightly backup. Now stored: ${model.retention.fullBackups} full, ` +
  `${model.retention.incrBackups} incremental.</p></section>`;

const upgradesSection = (model: ReportModel): string => {
  const source = `<p class="note">From the upgrade log <code>${h(model.upgradeLog)}</code>.</p>`;
  if (!model.upgrades || model.upgrades.length === 0)
    return `<section><h2>Upgrades</h2><p>No upgrade recorded on this machine.</p>${source}</section>`;
  const rows = [...model.upgrades]
    .reverse()
    .slice(0, 10)
    .map(
      (event) =>
        `<tr><td>${h(formatTime(event.at))}</td><td>${event.kind}</td><td>${h(event.from)} → ${h(event.to)}</td>` +
        (event.outcome === "ok" ? '<td class="pass">done</td>' : '<td class="fail">rolled back</td>') +
        `<td class="num">${event.downtimeMs === undefined ? "–" : h(formatDuration(event.downtimeMs))}</td>` +
        `<td>${h(event.reason ?? "")}</td></tr>`,
    );
  return (
    "<section><h2>Upgrades</h2><table><thead><tr><th>When</th><th>What</th><th>Versions</th><th>Result</th>" +
    `<th>Downtime</th><th>Reason</th></tr></thead><tbody>${rows.join("")}</tbody></table>${source}</section>`
  );
};
