// The drift timeline as chart columns: computed once per answer, shared by the charts.
import type uPlot from "uplot";
import type { DriftPoint, DriftTimeline } from "../api/types";

export interface FeatureSeries {
  feature: string;
  method: string | null;
  scores: Array<number | null>;
  thresholds: Array<number | null>;
  drifted: Array<number | null>;
  /** Windows in which the feature drifted. */
  driftedCount: number;
  /** Whether a higher score means more drift (a distance) or less (a p-value). */
  higherIsWorse: boolean;
}

export interface DriftColumns {
  /** Window midpoints, epoch seconds (uPlot's unit): a bar covers its window. */
  x: number[];
  /** Width of one window in seconds (the bar width; day points: 86,400). */
  step: number;
  share: Array<number | null>;
  features: FeatureSeries[];
  points: DriftPoint[];
}

/** Methods whose score is a p-value: drift when the score falls below the threshold. */
const P_VALUE_METHODS = new Set(["ks", "chisquare", "z", "fisher_exact", "t_test", "anderson", "cramer_von_mises", "g_test", "mannw", "epps_singleton", "empirical_mmd"]);

export function higherIsWorse(method: string | null): boolean {
  return !(method && P_VALUE_METHODS.has(method.toLowerCase()));
}

export function driftColumns(timeline: DriftTimeline): DriftColumns {
  const points = [...timeline.points].sort((a, b) => a.window_start.localeCompare(b.window_start));
  const step = points.length ? Math.max(60, (Date.parse(points[0]!.window_end) - Date.parse(points[0]!.window_start)) / 1000) : 3600;
  const x = points.map((p) => Date.parse(p.window_start) / 1000 + step / 2);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const point of points)
    for (const feature of point.features)
      if (!seen.has(feature.feature)) {
        seen.add(feature.feature);
        names.push(feature.feature);
      }
  const index = new Map(names.map((name, i) => [name, i]));
  const features: FeatureSeries[] = names.map((feature) => ({
    feature,
    method: null,
    scores: new Array<number | null>(points.length).fill(null),
    thresholds: new Array<number | null>(points.length).fill(null),
    drifted: new Array<number | null>(points.length).fill(null),
    driftedCount: 0,
    higherIsWorse: true,
  }));
  points.forEach((point, i) => {
    for (const f of point.features) {
      const series = features[index.get(f.feature)!]!;
      series.scores[i] = f.score;
      series.thresholds[i] = f.threshold;
      series.method ??= f.method;
      if (f.drifted) {
        series.drifted[i] = f.score;
        series.driftedCount += 1;
      }
    }
  });
  for (const series of features) series.higherIsWorse = higherIsWorse(series.method);
  // Features that drifted most come first: that is where a person looks.
  features.sort((a, b) => b.driftedCount - a.driftedCount || a.feature.localeCompare(b.feature));
  return { x, step, share: points.map((p) => p.share_drifted), features, points };
}

/** The x range from the first window's start to the last window's end. */
export function barRange(columns: DriftColumns): [number, number] {
  if (!columns.x.length) return [0, 1];
  return [columns.x[0]! - columns.step / 2, columns.x[columns.x.length - 1]! + columns.step / 2];
}

export type Aligned = uPlot.AlignedData;
