// One window's report: Evidently's HTML in a sandboxed frame (scripts run, but in an opaque
// origin: they cannot read this page, its key or the API) beside the window's verdicts.
import { useState } from "react";
import { getJson, getText } from "../api/client";
import type { ReportDetail } from "../api/types";
import { ErrorNote, Loading } from "../components/ErrorNote";
import { Link } from "../components/Link";
import { formatNumber, formatPercent } from "../lib/format";
import { modelRoute } from "../lib/routes";
import { formatInstant, formatShort } from "../lib/time";
import { useApi } from "../lib/useApi";
import { useSession } from "../session";
import { FeatureRows } from "./ModelPage";

export function ReportPage({ reportId }: { reportId: string }) {
  const { generation } = useSession();
  const [variant, setVariant] = useState<"drift" | "quality">("drift");
  const path = `/reports/${encodeURIComponent(reportId)}`;
  const detail = useApi((signal) => getJson<ReportDetail>(path, {}, signal), [reportId, generation]);
  const html = useApi(
    detail.data ? (signal) => getText(`${path}/html`, variant === "quality" ? { variant } : {}, signal) : null,
    [reportId, variant, generation, detail.data !== null],
  );
  const report = detail.data;
  return (
    <section aria-labelledby="report-title" className="page report-page">
      <header className="page-header">
        <h1 id="report-title">
          Report <span className="mono">{reportId}</span>
        </h1>
        {report ? (
          <p className="subtitle">
            <Link to={modelRoute(report.model, { report: reportId, since: formatInstant(new Date(Date.parse(report.window_start) - 3 * 86_400_000)), until: formatInstant(new Date(Date.parse(report.window_end) + 3 * 86_400_000)) })}>
              {report.model}
            </Link>{" "}
            · window {formatShort(report.window_start)} – {formatShort(report.window_end)} UTC · {formatNumber(report.n_current)} rows · {formatPercent(report.share_drifted, 0)} of features drifted
          </p>
        ) : null}
      </header>
      {detail.error ? <ErrorNote error={detail.error} what="Report" /> : null}
      {detail.loading ? <Loading what="the report" /> : null}
      {report ? (
        <div className="report-layout">
          <aside className="panel report-features" aria-labelledby="verdicts-title" data-testid="report-features">
            <h2 id="verdicts-title">Verdicts</h2>
            <p>
              {report.drifted_features.length ? (
                <>
                  Drifted: <strong data-testid="drifted-features">{report.drifted_features.join(", ")}</strong>
                </>
              ) : (
                "No feature drifted."
              )}
            </p>
            <FeatureRows features={report.features} />
          </aside>
          <section className="panel report-frame" aria-labelledby="evidently-title">
            <div className="frame-header">
              <h2 id="evidently-title">Evidently report</h2>
              {report.variants.length > 1 ? (
                <div role="group" aria-label="Report variant" className="segmented">
                  {report.variants.map((v) => (
                    <button key={v} type="button" aria-pressed={variant === v} onClick={() => setVariant(v)}>
                      {v}
                    </button>
                  ))}
                </div>
              ) : null}
            </div>
            {html.error ? <ErrorNote error={html.error} what="Evidently HTML" /> : null}
            {html.loading ? <Loading what="the Evidently report" /> : null}
            {html.data ? <iframe title={`Evidently ${variant} report for ${reportId}`} sandbox="allow-scripts" srcDoc={html.data} className="evidently" data-testid="evidently-frame" /> : null}
          </section>
        </div>
      ) : null}
    </section>
  );
}
