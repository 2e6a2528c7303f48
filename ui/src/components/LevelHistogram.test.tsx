import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LevelHistogram, columns, levelsOf } from "./LevelHistogram";

const BUCKETS = [
  { start: "2026-12-03T10:00:00.000Z", key: "info", count: 8 },
  { start: "2026-12-03T10:00:00.000Z", key: "error", count: 2 },
  { start: "2026-12-03T09:00:00.000Z", key: "info", count: 5 },
  { start: "2026-12-03T10:00:00.000Z", key: "custom", count: 1 },
];

describe("LevelHistogram", () => {
  it("turns buckets into one column per start, oldest first, with totals", () => {
    const cols = columns(BUCKETS);
    expect(cols.map((c) => [c.start, c.total])).toEqual([
      ["2026-12-03T09:00:00.000Z", 5],
      ["2026-12-03T10:00:00.000Z", 11],
    ]);
    expect(cols[1]!.counts).toEqual({ info: 8, error: 2, custom: 1 });
  });

  it("orders levels most severe first, unknown ones last", () => {
    expect(levelsOf(BUCKETS)).toEqual(["error", "info", "custom"]);
  });

  it("stacks one bar per level and bucket, the tallest column filling the height", () => {
    const { container, getByRole } = render(<LevelHistogram buckets={BUCKETS} intervalMs={3_600_000} height={100} />);
    const rects = [...container.querySelectorAll("rect")];
    expect(rects).toHaveLength(4);
    const heights = rects.map((r) => Number(r.getAttribute("height")));
    expect(heights.slice(1).reduce((a, b) => a + b, 0)).toBeCloseTo(98);
    expect(getByRole("img").getAttribute("aria-label")).toContain("error: 2, info: 13, custom: 1");
  });

  it("places bars at their time in the searched range, leaving empty stretches empty", () => {
    const start = Date.parse("2026-12-03T08:00:00.000Z");
    const end = Date.parse("2026-12-03T12:00:00.000Z");
    const { container } = render(<LevelHistogram buckets={BUCKETS} intervalMs={3_600_000} start={start} end={end} />);
    const xs = [...container.querySelectorAll("rect")].map((r) => Number(r.getAttribute("x")));
    // 09:00 is a quarter into the range, 10:00 half; each bar is a quarter wide
    expect(xs.map((x) => Math.round(x))).toEqual([250, 500, 500, 500]);
    expect(Number(container.querySelector("rect")!.getAttribute("width"))).toBeCloseTo(249.5);
  });
});
