// The time grammar of the API (README "Times"), as far as the UI needs it: durations back
// from now (`30m`, `6h`, `2d`, `1w`) and RFC 3339 instants. The URL keeps what the person
// chose (`since=7d` stays relative, as Grafana's `now-7d` does); charts resolve it here.

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_RE = /^(\d{1,9})\s*([smhdw])$/;
const INSTANT_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Milliseconds of `90s`, `30m`, `6h`, `2d`, `1w`; null for anything else. */
export function parseDuration(text: string): number | null {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return null;
  const [, count, unit] = match;
  const ms = Number(count) * (UNIT_MS[unit ?? ""] ?? 0);
  return ms > 0 ? ms : null;
}

/** An instant of the grammar (a duration counts back from `now`); null when not one. */
export function parseInstant(text: string, now: Date): Date | null {
  const trimmed = text.trim();
  const back = parseDuration(trimmed);
  if (back !== null) return new Date(now.getTime() - back);
  const match = INSTANT_RE.exec(trimmed);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const ms = Number((frac ?? "0").padEnd(6, "0").slice(0, 3));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms);
  const check = new Date(time);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    time -= sign * offset * 60_000;
  }
  return new Date(time);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the canonical form of the server's `format_instant`. */
export function formatInstant(moment: Date): string {
  return moment.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** A compact UTC label for tables and axes: `2026-11-01 03:00`. */
export function formatShort(moment: Date | string): string {
  const date = typeof moment === "string" ? new Date(moment) : moment;
  if (Number.isNaN(date.getTime())) return String(moment);
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/** A timestamp to the millisecond, UTC: `2026-11-01 03:00:12.345`. */
export function formatPrecise(moment: string): string {
  const date = new Date(moment);
  if (Number.isNaN(date.getTime())) return moment;
  return date.toISOString().slice(0, 23).replace("T", " ");
}

/** How long, in words a person reads at a glance: `45 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export interface TimeRange {
  /** As in the URL: a duration (`7d`) or an instant; empty means the view's default. */
  since: string;
  /** As in the URL; empty means now. */
  until: string;
}

export interface ResolvedRange {
  start: Date;
  end: Date;
}

/** The range as two instants; null (with the reason) when a bound is not in the grammar. */
export function resolveRange(
  range: TimeRange,
  now: Date,
  fallbackSince: string,
): { ok: true; range: ResolvedRange } | { ok: false; error: string } {
  const sinceText = range.since || fallbackSince;
  const start = parseInstant(sinceText, now);
  if (!start) return { ok: false, error: `“${sinceText}” is not a time (try 7d or 2026-12-03T13:00Z)` };
  const end = range.until ? parseInstant(range.until, now) : now;
  if (!end) return { ok: false, error: `“${range.until}” is not a time (try 2026-12-03T13:00Z)` };
  if (!(start < end)) return { ok: false, error: "the start must be before the end" };
  return { ok: true, range: { start, end } };
}

const INTERVALS: ReadonlyArray<[string, number]> = [
  ["1m", 60_000],
  ["5m", 300_000],
  ["15m", 900_000],
  ["1h", 3_600_000],
  ["3h", 10_800_000],
  ["6h", 21_600_000],
  ["12h", 43_200_000],
  ["1d", 86_400_000],
  ["1w", 604_800_000],
];

/** The narrowest histogram interval that keeps a span within `maxBuckets` buckets. */
export function pickInterval(spanMs: number, maxBuckets = 120): string {
  for (const [name, width] of INTERVALS) {
    if (spanMs / width <= maxBuckets) return name;
  }
  return "1w";
}
