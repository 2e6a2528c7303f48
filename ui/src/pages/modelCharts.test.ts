import { describe, expect, it } from "vitest";
import type { FeatureDistribution } from "../api/types";
import { bucketLabel, distributionRows } from "./modelCharts";
import { delayStart } from "./ModelPage";

const BASE = { model: "gen", feature: "x", window_start: "2026-11-01T03:00:00Z", window_end: "2026-11-01T04:00:00Z", report_id: "gen~r", source: "sketches", summary: null, drift: null } as const;

describe("distribution rows", () => {
  it("turns numeric buckets into shares of each side, labelled by their bounds", () => {
    const distribution: FeatureDistribution = {
      ...BASE,
      kind: "numeric",
      buckets: [
        { lower: null, upper: 0, reference: 50, current: 10 },
        { lower: 0, upper: null, reference: 50, current: 30 },
      ],
      categories: [],
    };
    expect(distributionRows(distribution)).toEqual([
      { label: "< 0", reference: 0.5, current: 0.25 },
      { label: "≥ 0", reference: 0.5, current: 0.75 },
    ]);
  });

  it("keeps a category the reference never saw, with no reference share", () => {
    const distribution: FeatureDistribution = {
      ...BASE,
      kind: "categorical",
      buckets: [],
      categories: [
        { value: "de", reference: 3, current: 1 },
        { value: "xx", reference: null, current: 3 },
      ],
    };
    expect(distributionRows(distribution)).toEqual([
      { label: "de", reference: 1, current: 0.25 },
      { label: "xx", reference: null, current: 0.75 },
    ]);
  });

  it("labels closed buckets by both bounds", () => {
    expect(bucketLabel(1.5, 2.25)).toBe("1.5–2.25");
    expect(bucketLabel(null, null)).toBe("all");
  });
});

describe("label delay", () => {
  it("marks from the newest window's end back by the longest p90 delay", () => {
    const point = (start: string, end: string, p90: number | null) => ({
      window_start: start,
      window_end: end,
      predictions: 10,
      labelled: 5,
      label_coverage: 0.5,
      metric: "accuracy" as const,
      value: 0.9,
      accuracy: 0.9,
      mae: null,
      label_delay_p50_seconds: p90,
      label_delay_p90_seconds: p90,
    });
    const points = [point("2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z", 1800), point("2026-11-01T01:00:00Z", "2026-11-01T02:00:00Z", 7200)];
    expect(delayStart(points)).toBe(Date.parse("2026-11-01T02:00:00Z") / 1000 - 7200);
    expect(delayStart([point("2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z", null)])).toBeNull();
  });
});
