import { describe, expect, it } from "vitest";
import type { DriftTimeline, FeatureDrift } from "../api/types";
import { barRange, driftColumns, higherIsWorse } from "./driftData";

const f = (feature: string, score: number | null, drifted: boolean, method = "psi"): FeatureDrift => ({ feature, method, score, threshold: 0.1, drifted, status: "ok" });

const TIMELINE: DriftTimeline = {
  model: "gen",
  since: "2026-11-01T00:00:00Z",
  until: "2026-11-01T03:00:00Z",
  resolution: "window",
  source: "drift_metrics",
  points: [
    { window_start: "2026-11-01T01:00:00Z", window_end: "2026-11-01T02:00:00Z", report_id: "gen~1", status: "ok", n_current: 10, share_drifted: 0.5, drifted_features: ["b"], features: [f("a", 0.01, false), f("b", 0.4, true)] },
    { window_start: "2026-11-01T00:00:00Z", window_end: "2026-11-01T01:00:00Z", report_id: "gen~0", status: "ok", n_current: 10, share_drifted: 0, drifted_features: [], features: [f("a", 0.02, false)] },
  ],
};

describe("driftColumns", () => {
  it("orders windows by time and aligns each feature's scores to them, gaps as null", () => {
    const cols = driftColumns(TIMELINE);
    expect(cols.x).toEqual([Date.parse("2026-11-01T00:30:00Z") / 1000, Date.parse("2026-11-01T01:30:00Z") / 1000]);
    expect(cols.step).toBe(3600);
    expect(cols.share).toEqual([0, 0.5]);
    const b = cols.features.find((s) => s.feature === "b")!;
    expect(b.scores).toEqual([null, 0.4]);
    expect(b.drifted).toEqual([null, 0.4]);
  });

  it("puts the features that drifted most first", () => {
    expect(driftColumns(TIMELINE).features.map((s) => [s.feature, s.driftedCount])).toEqual([
      ["b", 1],
      ["a", 0],
    ]);
  });

  it("spans the axis from the first window's start to the last window's end", () => {
    const cols = driftColumns(TIMELINE);
    expect(barRange(cols)).toEqual([Date.parse("2026-11-01T00:00:00Z") / 1000, Date.parse("2026-11-01T02:00:00Z") / 1000]);
  });

  it("knows p-value tests drift below their threshold, distances above", () => {
    expect(higherIsWorse("ks")).toBe(false);
    expect(higherIsWorse("chisquare")).toBe(false);
    expect(higherIsWorse("psi")).toBe(true);
    expect(higherIsWorse("wasserstein")).toBe(true);
    expect(higherIsWorse(null)).toBe(true);
  });
});
