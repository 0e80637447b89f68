/**
 * The one convention for sizes and waits shown to people, shared by the server's messages, the CLI and the web app:
 * sizes in binary units with their IEC names (1 KiB = 1024 bytes, so the default 20971520-byte limit reads
 * "20 MiB", exactly), at most one decimal, trailing ".0" dropped; waits in the largest whole unit that fits.
 * Locale-independent on purpose, so a message reads the same in a log, a terminal and a browser.
 */

const SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 1536 → "1.5 KiB", 20971520 → "20 MiB", 999 → "999 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Round first, so 1023.96 KiB becomes "1 MiB", not "1024 KiB".
  while (Math.round(value * 10) / 10 >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

/** 45 → "45 seconds", 2880 → "48 minutes", 5400 → "2 hours" (rounded up: never promise less than the wait). */
export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (s < 90) return plural(s, "second");
  if (s < 90 * 60) return plural(Math.ceil(s / 60), "minute");
  if (s < 36 * 3600) return plural(Math.ceil(s / 3600), "hour");
  return plural(Math.ceil(s / 86400), "day");
}
