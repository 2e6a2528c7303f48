// A model over time: the share of drifted features per window (click one: its verdicts and
// its report), each feature's score against its threshold, a feature's reference against
// current distribution, and accuracy (or MAE) with the label delay marked. Long ranges are
// answered per day from the sketches; the range, window, feature and resolution are in the URL.
import { useEffect, useMemo, useState } from "react";
import { getJson } from "../api/client";
import type { DriftTimeline, FeatureDistribution, FeatureDrift, ModelList, ModelPerformance } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/ErrorNote";
import { Link } from "../components/Link";
import { RangePicker } from "../components/RangePicker";
import { formatNumber, formatPercent } from "../lib/format";
import { navigate } from "../lib/navigation";
import type { Route } from "../lib/routes";
import { formatDuration, formatInstant, formatShort } from "../lib/time";
import { useApi } from "../lib/useApi";
import { useSession } from "../session";
import { driftColumns, type DriftColumns } from "./driftData";
import { DistributionChart, DriftShareChart, FeatureScoreChart, PerformanceChart, distributionRows } from "./modelCharts";

type ModelRoute = Extract<Route, { view: "model" }>;

const DEFAULT_SPAN_MS = 7 * 86_400_000;
/** Performance marks of the model page's render budget (read by the end-to-end run). */
export const MARK_DATA = "model:drift-data";
export const MARK_DRAWN = "model:drift-drawn";
const WINDOW_ROWS = 48;

export function ModelPage({ route }: { route: ModelRoute }) {
  const { generation } = useSession();
  const go = (change: Partial<ModelRoute>, replace = false) => navigate({ ...route, ...change }, replace);
  const models = useApi((signal) => getJson<ModelList>("/models", {}, signal), [generation]);
  const summary = models.data?.models.find((m) => m.model === route.model) ?? null;

  // Without a range in the URL: the week up to the model's last window (a model whose job
  // stopped still shows its data), else the last week.
  const range = useMemo(() => {
    if (route.since) return { since: route.since, until: route.until };
    if (!models.data) return null;
    const end = summary?.last_window ? new Date(summary.last_window.window_end) : new Date();
    return { since: formatInstant(new Date(end.getTime() - DEFAULT_SPAN_MS)), until: formatInstant(end) };
  }, [route.since, route.until, models.data, summary]);

  const resolution = route.resolution === "window" || route.resolution === "day" ? route.resolution : "auto";
  const drift = useApi(
    range
      ? (signal) =>
          getJson<DriftTimeline>(`/models/${encodeURIComponent(route.model)}/drift`, { ...range, resolution }, signal).then((timeline) => {
            window.performance.mark(MARK_DATA); // the render budget runs from here to MARK_DRAWN
            return timeline;
          })
      : null,
    [route.model, range?.since, range?.until, resolution, generation],
  );
  const performance = useApi(
    range ? (signal) => getJson<ModelPerformance>(`/models/${encodeURIComponent(route.model)}/performance`, range, signal) : null,
    [route.model, range?.since, range?.until, generation],
  );
  const columns = useMemo(() => (drift.data ? driftColumns(drift.data) : null), [drift.data]);
  const selected = columns && route.report ? columns.points.findIndex((p) => p.report_id === route.report) : -1;
  const selectedPoint = columns && selected >= 0 ? columns.points[selected]! : null;
  const pick = (index: number) => {
    const point = columns?.points[index];
    if (point?.report_id) go({ report: point.report_id });
  };
  const feature = route.feature || selectedPoint?.drifted_features[0] || columns?.features[0]?.feature || "";

  return (
    <section aria-labelledby="model-title" className="page model-page">
      <header className="page-header">
        <h1 id="model-title">
          Model <span className="mono">{route.model}</span>
        </h1>
        {summary ? (
          <p className="subtitle">
            {summary.task ?? "task unknown"} · {summary.features.length} features · windows of {summary.window_seconds ? formatDuration(summary.window_seconds) : "?"}
          </p>
        ) : null}
        <RangePicker range={{ since: route.since, until: route.until }} onChange={(r) => go({ ...r, report: "" })} defaultLabel="The week up to the last window" />
        <label className="inline-field">
          Resolution{" "}
          <select value={resolution === "auto" ? "" : resolution} onChange={(e) => go({ resolution: e.target.value })}>
            <option value="">Auto (windows up to 7 days, then days)</option>
            <option value="window">Every window</option>
            <option value="day">Per day</option>
          </select>
        </label>
      </header>
      {models.error ? <ErrorNote error={models.error} what="Models" /> : null}
      {models.data && !summary ? <p className="note">No model named {route.model} in models.yaml or in the drift results.</p> : null}

      <section aria-labelledby="share-title" className="panel">
        <h2 id="share-title">Share of drifted features per window</h2>
        {drift.error ? <ErrorNote error={drift.error} what="Drift" /> : null}
        {drift.loading || !range ? <Loading what="drift" /> : null}
        {drift.data && columns ? (
          <>
            <p className="hint">
              {drift.data.resolution === "day" ? "One point per day" : "One bar per window"}, from {drift.data.source === "sketches" ? "the hourly sketches" : "the drift job's results"} ·{" "}
              {formatShort(drift.data.since)} – {formatShort(drift.data.until)} UTC · click a bar to see the window's verdicts and report.
            </p>
            {columns.points.length ? (
              <DriftShareChart columns={columns} selected={selected >= 0 ? selected : null} onPick={pick} />
            ) : (
              <Empty>No drift results in this range. Has the drift job run for {route.model}? (`observability drift run`)</Empty>
            )}
            <WindowTable columns={columns} selected={selected} onPick={pick} />
          </>
        ) : null}
      </section>

      {selectedPoint ? <WindowPanel features={selectedPoint.features} reportId={selectedPoint.report_id} start={selectedPoint.window_start} end={selectedPoint.window_end} onFeature={(f) => go({ feature: f }, true)} /> : null}

      {columns && columns.features.length ? (
        <section aria-labelledby="features-title" className="panel">
          <h2 id="features-title">Drift score per feature</h2>
          <p className="hint">Solid: the score; dashed: its threshold; dots: windows where the feature drifted. Features that drifted most come first.</p>
          <FeatureGrid columns={columns} onPick={pick} onFeature={(f) => go({ feature: f }, true)} current={feature} />
        </section>
      ) : null}

      {feature && (selectedPoint?.report_id || summary?.last_window) ? (
        <Distribution model={route.model} feature={feature} reportId={selectedPoint?.report_id ?? summary?.last_window?.report_id ?? ""} generation={generation} />
      ) : null}

      <section aria-labelledby="perf-title" className="panel">
        <h2 id="perf-title">Performance over time</h2>
        {performance.error ? <ErrorNote error={performance.error} what="Performance" /> : null}
        {performance.loading ? <Loading what="performance" /> : null}
        {performance.data ? <Performance data={performance.data} /> : null}
      </section>
    </section>
  );
}

function WindowTable({ columns, selected, onPick }: { columns: DriftColumns; selected: number; onPick: (index: number) => void }) {
  const [all, setAll] = useState(false);
  const order = columns.points.map((_, i) => columns.points.length - 1 - i);
  const shown = all ? order : order.slice(0, WINDOW_ROWS);
  if (!columns.points.length) return null;
  return (
    <details className="windows">
      <summary>Windows as a table ({columns.points.length})</summary>
      <table>
        <caption className="visually-hidden">Drift per window, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Window (UTC)</th>
            <th scope="col">Rows</th>
            <th scope="col">Drifted</th>
            <th scope="col">Features</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((i) => {
            const point = columns.points[i]!;
            return (
              <tr key={point.window_start} aria-selected={i === selected} className={i === selected ? "selected" : ""}>
                <td>
                  {point.report_id ? (
                    <button type="button" className="link" onClick={() => onPick(i)}>
                      {formatShort(point.window_start)}
                    </button>
                  ) : (
                    formatShort(point.window_start)
                  )}
                </td>
                <td>{formatNumber(point.n_current)}</td>
                <td>{formatPercent(point.share_drifted, 0)}</td>
                <td>{point.drifted_features.join(", ") || "–"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!all && order.length > WINDOW_ROWS ? (
        <button type="button" onClick={() => setAll(true)}>
          Show all {order.length} windows
        </button>
      ) : null}
    </details>
  );
}

export function FeatureRows({ features, onFeature }: { features: FeatureDrift[]; onFeature?: (feature: string) => void }) {
  const sorted = [...features].sort((a, b) => Number(b.drifted) - Number(a.drifted) || a.feature.localeCompare(b.feature));
  return (
    <table className="feature-rows">
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Method</th>
          <th scope="col">Score</th>
          <th scope="col">Threshold</th>
          <th scope="col">Verdict</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((f) => (
          <tr key={f.feature} className={f.drifted ? "drifted" : ""} data-feature={f.feature}>
            <th scope="row">
              {onFeature ? (
                <button type="button" className="link" onClick={() => onFeature(f.feature)}>
                  {f.feature}
                </button>
              ) : (
                f.feature
              )}
            </th>
            <td>{f.method ?? "–"}</td>
            <td>{formatNumber(f.score)}</td>
            <td>{formatNumber(f.threshold)}</td>
            <td>
              <span className={`badge ${f.drifted ? "badge-danger" : f.status === "ok" ? "badge-ok" : "badge-muted"}`}>{f.drifted ? "drifted" : f.status === "ok" ? "no drift" : f.status.replaceAll("_", " ")}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function WindowPanel({ features, reportId, start, end, onFeature }: { features: FeatureDrift[]; reportId: string | null; start: string; end: string; onFeature: (f: string) => void }) {
  const drifted = features.filter((f) => f.drifted).map((f) => f.feature);
  return (
    <section aria-labelledby="window-title" className="panel window-panel" data-testid="window-panel">
      <h2 id="window-title">
        Window {formatShort(start)} – {formatShort(end)} UTC
      </h2>
      <p>
        {drifted.length ? (
          <>
            Drifted: <strong data-testid="window-drifted">{drifted.join(", ")}</strong> ({drifted.length} of {features.length})
          </>
        ) : (
          "No feature drifted in this window."
        )}
        {reportId ? (
          <>
            {" "}
            · <Link to={{ view: "report", reportId }}>Open the report</Link>
          </>
        ) : null}
      </p>
      <FeatureRows features={features} onFeature={onFeature} />
    </section>
  );
}

function FeatureGrid({ columns, onPick, onFeature, current }: { columns: DriftColumns; onPick: (i: number) => void; onFeature: (f: string) => void; current: string }) {
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    // Charts are drawn in the commit; mark the grid once the browser has painted it.
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => {
        window.performance.mark(MARK_DRAWN);
        setDrawn(true);
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [columns]);
  return (
    <div className="feature-grid" data-testid="feature-grid" data-ready={drawn ? "true" : "false"}>
      {columns.features.map((series) => (
        <figure key={series.feature} className={`feature-cell${series.feature === current ? " current" : ""}`}>
          <figcaption>
            <button type="button" className="link" onClick={() => onFeature(series.feature)} aria-pressed={series.feature === current}>
              {series.feature}
            </button>{" "}
            <span className="muted">
              {series.method ?? ""} · {series.driftedCount ? <span className="danger">drifted in {series.driftedCount}</span> : "no drift"}
            </span>
          </figcaption>
          <FeatureScoreChart columns={columns} series={series} onPick={onPick} />
        </figure>
      ))}
    </div>
  );
}

function Distribution({ model, feature, reportId, generation }: { model: string; feature: string; reportId: string; generation: number }) {
  const distribution = useApi(
    (signal) => getJson<FeatureDistribution>(`/models/${encodeURIComponent(model)}/features/${encodeURIComponent(feature)}`, { report_id: reportId }, signal),
    [model, feature, reportId, generation],
  );
  return (
    <section aria-labelledby="dist-title" className="panel">
      <h2 id="dist-title">
        Distribution of <span className="mono">{feature}</span>: reference against current
      </h2>
      {distribution.error ? <ErrorNote error={distribution.error} what="Distribution" /> : null}
      {distribution.loading ? <Loading what="the distribution" /> : null}
      {distribution.data ? (
        <>
          <p className="hint">
            Window {formatShort(distribution.data.window_start)} – {formatShort(distribution.data.window_end)} UTC, from {distribution.data.source === "sketches" ? "the sketches" : "the stored report"}
            {distribution.data.drift ? ` · ${distribution.data.drift.method ?? "score"} ${formatNumber(distribution.data.drift.score)} against ${formatNumber(distribution.data.drift.threshold)}: ${distribution.data.drift.drifted ? "drifted" : "no drift"}` : ""}
          </p>
          {distribution.data.buckets.length || distribution.data.categories.length ? (
            <>
              <DistributionChart distribution={distribution.data} />
              <details>
                <summary>As a table</summary>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{distribution.data.kind === "numeric" ? "Bucket" : "Category"}</th>
                      <th scope="col">Reference</th>
                      <th scope="col">Current</th>
                    </tr>
                  </thead>
                  <tbody>
                    {distributionRows(distribution.data).map((row) => (
                      <tr key={row.label}>
                        <th scope="row">{row.label}</th>
                        <td>{formatPercent(row.reference)}</td>
                        <td>{formatPercent(row.current)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            </>
          ) : distribution.data.summary ? (
            <table>
              <caption>The current window (no bins for this model: run the drift job once to create them)</caption>
              <tbody>
                {Object.entries(distribution.data.summary).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{formatNumber(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No distribution stored for this window.</Empty>
          )}
        </>
      ) : null}
    </section>
  );
}

/** Where labels may still be missing: the last p90 label delay before the newest window's end. */
export function delayStart(points: ModelPerformance["points"]): number | null {
  const delays = points.map((p) => p.label_delay_p90_seconds).filter((d): d is number => d !== null);
  if (!delays.length || !points.length) return null;
  const end = Math.max(...points.map((p) => Date.parse(p.window_end) / 1000));
  return end - Math.max(...delays);
}

function Performance({ data }: { data: ModelPerformance }) {
  const points = data.points;
  if (!points.length) return <Empty>No predictions in this range.</Empty>;
  const labelled = points.filter((p) => p.value !== null);
  const p50 = points.map((p) => p.label_delay_p50_seconds).filter((d): d is number => d !== null);
  const p90 = points.map((p) => p.label_delay_p90_seconds).filter((d): d is number => d !== null);
  const start = delayStart(points);
  return (
    <>
      <p className="hint" data-testid="label-delay">
        {labelled.length ? `${labelled.length} of ${points.length} windows have labels.` : "No labels have arrived for this range yet."}{" "}
        {p50.length ? `Labels arrive ${formatDuration(median(p50))} after a prediction (median; p90 ${formatDuration(Math.max(...p90))}); the shaded stretch may still gain labels.` : ""}
      </p>
      <PerformanceChart points={points} delayStart={start} />
    </>
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
