/** Escapes text for HTML element content and attribute values. Pure. */
export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

/** A time as `YYYY-MM-DD HH:MM:SS UTC` (what the report prints everywhere). Pure. */
export const formatTime = (date: Date): string => `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** A span for people: seconds below two minutes, minutes below two hours, hours below two days, else days. Pure. */
export const formatSpan = (ms: number): string =>
  ms < 120_000
    ? `${Math.max(0, Math.round(ms / 1000))} s`
    : ms < 2 * 3_600_000
      ? `${Math.max(0, Math.round(ms / 60_000))} min`
      : ms < 2 * 86_400_000
        ? `${(ms / 3_600_000).toFixed(1)} h`
        : `${(ms / 86_400_000).toFixed(1)} days`;
