// The model page's charts. Each is a picture of numbers the page also lists in a table.
import { useCallback, useMemo } from "react";
import uPlot from "uplot";
import type { FeatureDistribution, PerformancePoint } from "../api/types";
import { Chart, utcTicks, utcTicksShort } from "../components/Chart";
import { formatNumber } from "../lib/format";
import type { Palette } from "../theme";
import { barRange, type DriftColumns, type FeatureSeries } from "./driftData";

const axisStyle = (palette: Palette) => ({ stroke: palette.muted, grid: { stroke: palette.grid, width: 1 }, ticks: { stroke: palette.grid } });
const timeAxis = (palette: Palette) => ({ ...axisStyle(palette), values: utcTicks, size: 44 });

/** The share of drifted features per window, as bars; a click picks a window. */
export function DriftShareChart({ columns, selected, onPick }: { columns: DriftColumns; selected: number | null; onPick: (index: number) => void }) {
  const data = useMemo<uPlot.AlignedData>(
    () => [columns.x, columns.share, columns.x.map((_, i) => (i === selected ? columns.share[i] ?? 0 : null))],
    [columns, selected],
  );
  const options = useCallback(
    (palette: Palette) => ({
      scales: { x: { time: true, range: () => barRange(columns) }, y: { range: [0, 1] as uPlot.Range.MinMax } },
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      axes: [timeAxis(palette), { ...axisStyle(palette), values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)}%`), size: 48 }],
      series: [
        {},
        { label: "share drifted", stroke: palette.danger, fill: `${palette.danger}88`, width: 0, paths: uPlot.paths.bars!({ size: [0.9, 60] }), points: { show: false } },
        { label: "selected", stroke: palette.accent, fill: palette.accent, width: 0, paths: uPlot.paths.bars!({ size: [0.9, 60] }), points: { show: false } },
      ],
    }),
    [columns],
  );
  return <Chart label={`Share of drifted features per window, ${columns.x.length} windows`} data={data} options={options} height={160} onPick={onPick} testId="drift-share-chart" />;
}

/** One feature's score per window, its threshold dashed, drifted windows as dots. */
export function FeatureScoreChart({ columns, series, onPick }: { columns: DriftColumns; series: FeatureSeries; onPick: (index: number) => void }) {
  const data = useMemo<uPlot.AlignedData>(() => [columns.x, series.scores, series.thresholds, series.drifted], [columns, series]);
  const options = useCallback(
    (palette: Palette) => ({
      scales: { x: { time: true, range: () => barRange(columns) } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      axes: [{ ...timeAxis(palette), values: utcTicksShort, size: 24, font: "10px system-ui" }, { ...axisStyle(palette), size: 40, font: "10px system-ui", values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatNumber(t, 2)) }],
      series: [
        {},
        { label: "score", stroke: palette.accent, width: 1.5, points: { show: false }, spanGaps: false },
        { label: "threshold", stroke: palette.warn, width: 1, dash: [4, 4], points: { show: false } },
        { label: "drifted", stroke: palette.danger, width: 0, points: { show: true, size: 5, fill: palette.danger, stroke: palette.danger } },
      ],
    }),
    [columns],
  );
  const direction = series.higherIsWorse ? "above" : "below";
  return (
    <Chart
      label={`${series.feature}: ${series.method ?? "score"} per window; drift when ${direction} the threshold; drifted in ${series.driftedCount} windows`}
      data={data}
      options={options}
      height={110}
      onPick={onPick}
    />
  );
}

/** Reference against current: bars side by side per bucket or category. */
export function DistributionChart({ distribution }: { distribution: FeatureDistribution }) {
  const rows = useMemo(() => distributionRows(distribution), [distribution]);
  // Bucket labels are wide: name about ten of them, evenly spread.
  const labelEvery = Math.max(1, Math.ceil(rows.length / 10));
  const data = useMemo<uPlot.AlignedData>(() => [rows.map((_, i) => i), rows.map((r) => r.reference), rows.map((r) => r.current)], [rows]);
  const options = useCallback(
    (palette: Palette) => ({
      scales: { x: { time: false, range: [-0.5, rows.length - 0.5] as uPlot.Range.MinMax }, y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(max, 0.01) * 1.1] as uPlot.Range.MinMax } },
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        { ...axisStyle(palette), values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) && t % labelEvery === 0 ? rows[t]?.label ?? "" : "")), size: 40, font: "10px system-ui" },
        { ...axisStyle(palette), values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)}%`), size: 44 },
      ],
      series: [
        { label: "bucket", value: (_u: uPlot, v: number | null) => (v === null ? "" : rows[v]?.label ?? "") },
        { label: "reference", stroke: palette.muted, fill: `${palette.muted}99`, width: 0, paths: uPlot.paths.bars!({ size: [0.4, 80], align: -1 }), points: { show: false }, value: (_u: uPlot, v: number | null) => pct(v) },
        { label: "current", stroke: palette.accent, fill: `${palette.accent}cc`, width: 0, paths: uPlot.paths.bars!({ size: [0.4, 80], align: 1 }), points: { show: false }, value: (_u: uPlot, v: number | null) => pct(v) },
      ],
    }),
    [rows, labelEvery],
  );
  return <Chart label={`Distribution of ${distribution.feature}: reference against current, share of rows per ${distribution.kind === "numeric" ? "bucket" : "category"}`} data={data} options={options} height={200} />;
}

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)}%`);

export interface DistributionRow {
  label: string;
  reference: number | null;
  current: number | null;
}

/** Buckets or categories as shares of each side's rows (sides differ in size). */
export function distributionRows(distribution: FeatureDistribution): DistributionRow[] {
  if (distribution.kind === "categorical") {
    const refTotal = distribution.categories.reduce((n, c) => n + (c.reference ?? 0), 0);
    const curTotal = distribution.categories.reduce((n, c) => n + c.current, 0);
    return distribution.categories.map((c) => ({
      label: c.value,
      reference: c.reference === null || !refTotal ? null : c.reference / refTotal,
      current: curTotal ? c.current / curTotal : null,
    }));
  }
  const refTotal = distribution.buckets.reduce((n, b) => n + b.reference, 0);
  const curTotal = distribution.buckets.reduce((n, b) => n + b.current, 0);
  return distribution.buckets.map((b) => ({
    label: bucketLabel(b.lower, b.upper),
    reference: refTotal ? b.reference / refTotal : null,
    current: curTotal ? b.current / curTotal : null,
  }));
}

export function bucketLabel(lower: number | null, upper: number | null): string {
  if (lower === null && upper === null) return "all";
  if (lower === null) return `< ${formatNumber(upper, 3)}`;
  if (upper === null) return `≥ ${formatNumber(lower, 3)}`;
  return `${formatNumber(lower, 3)}–${formatNumber(upper, 3)}`;
}

/** Accuracy or MAE per window, with the stretch whose labels may still arrive shaded. */
export function PerformanceChart({ points, delayStart }: { points: PerformancePoint[]; delayStart: number | null }) {
  const data = useMemo<uPlot.AlignedData>(
    () => [points.map((p) => (Date.parse(p.window_start) + Date.parse(p.window_end)) / 2000), points.map((p) => p.value), points.map((p) => p.label_coverage)],
    [points],
  );
  const metric = points.find((p) => p.metric)?.metric ?? "accuracy";
  const options = useCallback(
    (palette: Palette) => ({
      legend: { live: false },
      scales: { x: { time: true }, y: metric === "accuracy" ? { range: [0, 1] as uPlot.Range.MinMax } : {}, cov: { range: [0, 1] as uPlot.Range.MinMax } },
      cursor: { drag: { x: false, y: false } },
      axes: [timeAxis(palette), { ...axisStyle(palette), size: 48 }, { ...axisStyle(palette), scale: "cov", side: 1, grid: { show: false }, size: 44, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
      series: [
        {},
        { label: metric, stroke: palette.accent, width: 2, points: { show: true, size: 4 } },
        { label: "label coverage", scale: "cov", stroke: palette.muted, width: 1, dash: [3, 3], points: { show: false } },
      ],
      hooks: {
        drawClear: [
          (u: uPlot) => {
            if (delayStart === null) return;
            const left = Math.max(u.valToPos(delayStart, "x", true), u.bbox.left);
            const right = u.bbox.left + u.bbox.width;
            if (left >= right) return;
            u.ctx.save();
            u.ctx.fillStyle = palette.grid;
            u.ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
            u.ctx.restore();
          },
        ],
      },
    }),
    [metric, delayStart],
  );
  return <Chart label={`${metric} per window, and the share of predictions labelled so far`} data={data} options={options} height={180} />;
}
