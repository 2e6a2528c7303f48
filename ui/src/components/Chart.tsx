// uPlot on a canvas, sized to its container and drawn in the theme's palette. A chart is
// a picture: every view puts the same numbers in a table or list a keyboard can reach.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useTheme, type Palette } from "../theme";

export type ChartOptions = Omit<uPlot.Options, "width" | "height">;

/** Time axes in UTC, 24-hour: the zone every table and URL of the UI uses. */
export const utcDate = (seconds: number): Date => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");

/** Tick labels for a small UTC time axis: `MM-DD` for day steps, else `HH:mm`. */
export function utcTicksShort(_u: uPlot, splits: number[], _axis: number, _space: number, increment: number): string[] {
  return splits.map((seconds) => {
    const iso = new Date(seconds * 1000).toISOString();
    return increment >= 86_400 ? iso.slice(5, 10) : iso.slice(11, 16);
  });
}

/** Tick labels for a UTC time axis: `MM-DD` for day steps, else `HH:mm` with the date where it changes. */
export function utcTicks(_u: uPlot, splits: number[], _axis: number, _space: number, increment: number): string[] {
  let day = "";
  return splits.map((seconds) => {
    const iso = new Date(seconds * 1000).toISOString();
    const date = iso.slice(5, 10);
    if (increment >= 86_400) return date;
    const label = iso.slice(11, 16) + (date !== day ? `\n${date}` : "");
    day = date;
    return label;
  });
}

export interface ChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  data: uPlot.AlignedData;
  /** Options for a palette; called again when the theme changes. */
  options: (palette: Palette) => ChartOptions;
  height: number;
  /** A click on the plot: the index of the nearest x value. */
  onPick?: (index: number) => void;
  testId?: string;
}

function canvasWorks(): boolean {
  try {
    return !!document.createElement("canvas").getContext("2d");
  } catch {
    return false;
  }
}

export function Chart({ label, data, options, height, onPick, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const { palette } = useTheme();
  const [supported] = useState(canvasWorks);

  useEffect(() => {
    const element = box.current;
    if (!element || !supported) return;
    const base = options(palette);
    const chart = new uPlot(
      {
        tzDate: utcDate,
        ...base,
        width: Math.max(element.clientWidth, 120),
        height,
        hooks: {
          ...base.hooks,
          ready: [
            ...(base.hooks?.ready ?? []),
            (u: uPlot) => {
              u.over.addEventListener("click", () => {
                const index = u.cursor.idx;
                if (index !== null && index !== undefined) pick.current?.(index);
              });
            },
          ],
        },
      },
      data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 120);
      if (Math.abs(width - chart.width) > 1) chart.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The chart is rebuilt when its data, options or palette change.
  }, [data, options, palette, height, supported]);

  return (
    <div
      ref={box}
      className={`chart${onPick ? " chart-pickable" : ""}`}
      role="img"
      aria-label={label}
      data-testid={testId}
      style={{ minHeight: height }}
    >
      {supported ? null : <span className="visually-hidden">{label}</span>}
    </div>
  );
}
