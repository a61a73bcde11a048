import type { ReportModel } from "./model.js";
import { escapeHtml, formatTime } from "./text.js";

const WIDTH = 960;
const LEFT = 120;
const RIGHT = 20;
const ROWS = { window: 34, backups: 74, drills: 114 } as const;
const AXIS = 144;
const HEIGHT = 172;
const STEPS_MINUTES = [0.25, 0.5, 1, 5, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080, 20160, 43200];

/**
 * The recovery window as an inline SVG timeline (no script, no external asset): recoverable time in green with WAL
 * gaps in red, backups (full filled, incremental hollow) and drills (pass green, fail red) on one time axis ending at
 * the report time. Every mark has a <title> for a tooltip. Pure.
 */
export const renderTimeline = (model: ReportModel): string => {
  const end = model.generatedAt.getTime();
  const times = [
    ...model.coverage.map((interval) => interval.from.getTime()),
    ...model.backups.map((backup) => backup.startedAt.getTime()),
    ...model.drills.map((drill) => drill.finishedAt.getTime()),
  ];
  const earliest = Math.min(end - 2 * 60_000, ...times);
  const start = earliest - (end - earliest) * 0.04;
  const x = (time: number): number => LEFT + ((time - start) / (end - start)) * (WIDTH - LEFT - RIGHT);
  const parts: string[] = [];
  for (const [label, y] of [
    ["Recoverable", ROWS.window],
    ["Backups", ROWS.backups],
    ["Drills", ROWS.drills],
  ] as const) {
    parts.push(`<text x="8" y="${y + 4}" class="row">${label}</text>`);
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" class="lane"/>`);
  }
  for (const interval of model.coverage) {
    const x1 = x(interval.from.getTime());
    const width = Math.max(3, x(interval.to.getTime()) - x1);
    parts.push(
      `<rect x="${r(x1)}" y="${ROWS.window - 9}" width="${r(width)}" height="18" rx="3" class="covered">` +
        `<title>recoverable ${escapeHtml(formatTime(interval.from))} to ` +
        `${escapeHtml(formatTime(interval.to))}</title>` +
        "</rect>",
    );
  }
  for (const gap of model.gaps) {
    const x1 = x(gap.from.getTime());
    parts.push(
      `<rect x="${r(x1)}" y="${ROWS.window - 12}" width="${r(Math.max(3, x(gap.to.getTime()) - x1))}" height="24" ` +
        `class="gap"><title>${gap.missing} WAL segment(s) missing from ${escapeHtml(gap.firstMissing)}: ` +
        "recovery cannot cross this gap</title></rect>",
    );
  }
  for (const backup of model.backups) {
    const cx = x(backup.stoppedAt.getTime());
    parts.push(
      `<path d="M${r(cx)} ${ROWS.backups - 8} l8 8 l-8 8 l-8 -8 z" class="backup-${backup.type}">` +
        `<title>${backup.type} backup ${escapeHtml(backup.id)}, finished ` +
        `${escapeHtml(formatTime(backup.stoppedAt))}</title></path>`,
    );
  }
  for (const drill of model.drills) {
    parts.push(
      `<circle cx="${r(x(drill.finishedAt.getTime()))}" cy="${ROWS.drills}" r="7" ` +
        `class="${drill.ok ? "drill-pass" : "drill-fail"}"><title>drill ${escapeHtml(drill.id)}: ` +
        `${drill.ok ? "passed" : `FAILED (${escapeHtml(drill.failed.join(", "))})`}</title></circle>`,
    );
  }
  const step = tickStep(end - start);
  const first = Math.ceil(start / step) * step;
  parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${AXIS}" y2="${AXIS}" class="axis"/>`);
  for (let tick = first; tick <= end; tick += step) {
    const tx = r(x(tick));
    const time = formatTime(new Date(tick));
    const label = step >= 86_400_000 ? time.slice(0, 10) : step >= 60_000 ? time.slice(5, 16) : time.slice(11, 19);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${AXIS}" y2="${AXIS + 5}" class="axis"/>`);
    parts.push(`<text x="${tx}" y="${AXIS + 18}" class="tick">${escapeHtml(label)}</text>`);
  }
  const nowX = r(x(end));
  parts.push(`<line x1="${nowX}" x2="${nowX}" y1="14" y2="${AXIS}" class="now"/>`);
  parts.push(`<text x="${nowX}" y="11" class="tick">report</text>`);
  return (
    `<svg class="timeline" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" ` +
    `aria-label="Recovery window timeline" xmlns="http://www.w3.org/2000/svg">${parts.join("")}</svg>`
  );
};

const r = (value: number): string => value.toFixed(1);

// The smallest step that gives at most 8 ticks over the span.
const tickStep = (spanMs: number): number => {
  for (const minutes of STEPS_MINUTES) if (spanMs / (minutes * 60_000) <= 8) return minutes * 60_000;
  return Math.ceil(spanMs / 8 / 86_400_000) * 86_400_000;
};
