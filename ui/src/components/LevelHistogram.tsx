// Counts per level over time (the search API's `interval` aggregation), as stacked bars.
import type { SearchBucket } from "../api/types";
import { formatShort } from "../lib/time";

export const LEVEL_ORDER = ["critical", "error", "warning", "info", "debug"];

export interface Column {
  start: string;
  counts: Record<string, number>;
  total: number;
}

/** Buckets (start, level, count) -> one column per start, oldest first. */
export function columns(buckets: SearchBucket[]): Column[] {
  const byStart = new Map<string, Column>();
  for (const bucket of buckets) {
    let column = byStart.get(bucket.start);
    if (!column) {
      column = { start: bucket.start, counts: {}, total: 0 };
      byStart.set(bucket.start, column);
    }
    column.counts[bucket.key] = (column.counts[bucket.key] ?? 0) + bucket.count;
    column.total += bucket.count;
  }
  return [...byStart.values()].sort((a, b) => a.start.localeCompare(b.start));
}

/** Levels present, most severe first (unknown levels last, by name). */
export function levelsOf(buckets: SearchBucket[]): string[] {
  const seen = [...new Set(buckets.map((b) => b.key))];
  const rank = (level: string) => {
    const index = LEVEL_ORDER.indexOf(level);
    return index < 0 ? LEVEL_ORDER.length : index;
  };
  return seen.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface HistogramProps {
  buckets: SearchBucket[];
  /** Bucket width (the search's `interval_ms`). */
  intervalMs: number;
  /** The searched range, epoch ms: bars sit at their time in it, gaps stay empty. */
  start?: number;
  end?: number;
  height?: number;
}

export function LevelHistogram({ buckets, intervalMs, start, end, height = 90 }: HistogramProps) {
  const cols = columns(buckets);
  const levels = levelsOf(buckets);
  const peak = Math.max(1, ...cols.map((c) => c.total));
  const width = 1000;
  const first = start ?? (cols.length ? Date.parse(cols[0]!.start) : 0);
  const last = end ?? (cols.length ? Date.parse(cols[cols.length - 1]!.start) + intervalMs : 1);
  const span = Math.max(last - first, intervalMs, 1);
  const barWidth = Math.max((intervalMs / span) * width, 1);
  const summary = levels.map((level) => `${level}: ${cols.reduce((n, c) => n + (c.counts[level] ?? 0), 0)}`).join(", ");
  return (
    <figure className="histogram">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Records by level over time. ${summary}`} width="100%" height={height}>
        {cols.map((column) => {
          const x = ((Date.parse(column.start) - first) / span) * width;
          let y = height;
          return (
            <g key={column.start}>
              <title>{`${formatShort(column.start)}: ${column.total} (${levels.map((l) => `${l} ${column.counts[l] ?? 0}`).join(", ")})`}</title>
              {[...levels].reverse().map((level) => {
                const count = column.counts[level] ?? 0;
                if (!count) return null;
                const h = (count / peak) * (height - 2);
                y -= h;
                return <rect key={level} className={`level-fill level-${level}`} x={x + 0.25} y={y} width={Math.max(barWidth - 0.5, 0.5)} height={h} />;
              })}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {levels.map((level) => (
          <span key={level} className="legend-item">
            <span className={`swatch level-fill level-${level}`} aria-hidden="true" />
            {level}
          </span>
        ))}
        <span className="legend-range">
          {formatShort(new Date(first))} – {formatShort(new Date(last))} UTC · bars of {Math.round(intervalMs / 60_000)} min
        </span>
      </figcaption>
    </figure>
  );
}
