/** Output helpers: tables for people, safe against terminal escapes in names that came from the server. */

/** Control characters (ESC, CR, BEL…) replaced, so a hostile filename cannot rewrite the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows.map((r) => r.map(printable))];
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Sizes follow the one convention of client/units.ts (binary, IEC names), as the web app and server do. */
export { formatBytes as humanSize } from "../client/units.js";

/** `2025-11-24 12:03` in UTC, or "-" for null. */
export function shortDate(iso: string | null): string {
  if (iso === null) return "-";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace("T", " ")}Z`;
}
