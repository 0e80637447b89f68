const countFormat = new Intl.NumberFormat();
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Sizes follow the one convention of client/units.ts (binary, IEC names), as the CLI and the server do. */
export { formatBytes } from "../../client/units.js";

export function formatCount(value: number): string {
  return countFormat.format(value);
}

export function formatDate(iso: string | null): string {
  if (iso === null) return "never";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}
