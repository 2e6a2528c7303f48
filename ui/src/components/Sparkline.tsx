// A small line of a series' shape, for tables of services and models. SVG: cheap to draw
// by the dozen, and its numbers stay in the title for a screen reader.

export interface SparklineProps {
  values: Array<number | null>;
  label: string;
  width?: number;
  height?: number;
  /** Fixed y bounds (rates: [0, 1]); else the values' own. */
  domain?: [number, number];
  className?: string;
}

/** The SVG path of `values` in a width × height box (gaps where a value is null). */
export function sparkPath(values: Array<number | null>, width: number, height: number, domain?: [number, number]): string {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length === 0) return "";
  const [low, high] = domain ?? [Math.min(...known), Math.max(...known)];
  const span = high - low || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let path = "";
  let pen = false;
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      pen = false;
      return;
    }
    const x = values.length > 1 ? index * step : width / 2;
    const y = height - 1 - ((value - low) / span) * (height - 2);
    path += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  return path;
}

export function Sparkline({ values, label, width = 120, height = 28, domain, className }: SparklineProps) {
  const path = sparkPath(values, width, height, domain);
  return (
    <svg className={`sparkline ${className ?? ""}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      {path ? <path d={path} fill="none" stroke="currentColor" strokeWidth={1.5} /> : null}
    </svg>
  );
}
