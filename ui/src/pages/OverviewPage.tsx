// The first page: how each service is doing (volume and error rate over the last day), how
// each model is doing (its last window's drift, its accuracy trend), and what is firing.
import { useMemo } from "react";
import { getJson } from "../api/client";
import type { AlertList, ModelList, ModelPerformance, ModelSummary, QueryRows, ServiceList } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/ErrorNote";
import { Link } from "../components/Link";
import { Sparkline } from "../components/Sparkline";
import { formatCount, formatNumber, formatPercent } from "../lib/format";
import { logsRoute, modelRoute } from "../lib/routes";
import { formatInstant, formatShort } from "../lib/time";
import { useApi } from "../lib/useApi";
import { useSession } from "../session";

const SERVICE_RANGE = "24h";

export interface HourlySeries {
  records: number[];
  errorRate: Array<number | null>;
}

/** Rows of the `error-rate` query (service, dt, hour, records, errors) -> per-service hourly series. */
export function hourlyByService(rows: Array<Record<string, unknown>>): Map<string, HourlySeries> {
  const hours = [...new Set(rows.map((r) => `${String(r.dt)}T${String(r.hour).padStart(2, "0")}`))].sort();
  const slot = new Map(hours.map((h, i) => [h, i]));
  const out = new Map<string, HourlySeries>();
  for (const row of rows) {
    const service = String(row.service);
    let series = out.get(service);
    if (!series) {
      series = { records: new Array<number>(hours.length).fill(0), errorRate: new Array<number | null>(hours.length).fill(null) };
      out.set(service, series);
    }
    const i = slot.get(`${String(row.dt)}T${String(row.hour).padStart(2, "0")}`)!;
    const records = Number(row.records ?? 0);
    series.records[i] = records;
    series.errorRate[i] = records ? Number(row.errors ?? 0) / records : null;
  }
  return out;
}

export function OverviewPage() {
  const { generation } = useSession();
  const services = useApi((signal) => getJson<ServiceList>("/services", { since: SERVICE_RANGE }, signal), [generation]);
  const hourly = useApi((signal) => getJson<QueryRows>("/queries/error-rate", { since: SERVICE_RANGE }, signal), [generation]);
  const models = useApi((signal) => getJson<ModelList>("/models", {}, signal), [generation]);
  const alerts = useApi((signal) => getJson<AlertList>("/alerts", { state: "firing" }, signal), [generation]);
  const series = useMemo(() => hourlyByService(hourly.data?.rows ?? []), [hourly.data]);
  const firing = alerts.data?.alerts.filter((a) => a.state === "firing") ?? [];

  return (
    <section aria-labelledby="overview-title" className="page overview-page">
      <header className="page-header">
        <h1 id="overview-title">Overview</h1>
      </header>
      <div className="overview-grid">
        <section aria-labelledby="firing-title" className="panel">
          <h2 id="firing-title">Firing alerts</h2>
          {alerts.error ? <ErrorNote error={alerts.error} what="Alerts" /> : null}
          {alerts.data ? (
            firing.length ? (
              <ul className="compact-list">
                {firing.map((alert) => (
                  <li key={alert.fingerprint}>
                    <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>{" "}
                    <Link to={{ view: "alerts", alert: alert.fingerprint }}>{alert.labels.alertname ?? alert.rule}</Link>
                    {alert.silenced_by ? <span className="badge badge-muted">silenced</span> : null} <span className="muted">{alert.annotations.summary ?? ""}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <Empty>Nothing is firing.</Empty>
            )
          ) : null}
        </section>

        <section aria-labelledby="models-title" className="panel">
          <h2 id="models-title">Models</h2>
          {models.error ? <ErrorNote error={models.error} what="Models" /> : null}
          {models.loading ? <Loading what="models" /> : null}
          {models.data ? (
            models.data.models.length ? (
              <table className="models-table">
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Last window (UTC)</th>
                    <th scope="col">Drift</th>
                    <th scope="col">Accuracy or MAE, last week</th>
                  </tr>
                </thead>
                <tbody>
                  {models.data.models.map((model) => (
                    <ModelRow key={model.model} model={model} generation={generation} />
                  ))}
                </tbody>
              </table>
            ) : (
              <Empty>No model yet: configure one in models.yaml and log predictions.</Empty>
            )
          ) : null}
        </section>

        <section aria-labelledby="services-title" className="panel wide">
          <h2 id="services-title">Services, last 24 hours</h2>
          {services.error ? <ErrorNote error={services.error} what="Services" /> : null}
          {hourly.error && !services.error ? <ErrorNote error={hourly.error} what="Hourly volume" /> : null}
          {services.loading ? <Loading what="services" /> : null}
          {services.data ? (
            services.data.services.length ? (
              <table className="services-table">
                <thead>
                  <tr>
                    <th scope="col">Service</th>
                    <th scope="col">Records</th>
                    <th scope="col">Volume per hour</th>
                    <th scope="col">Error rate</th>
                    <th scope="col">Error rate per hour</th>
                    <th scope="col">Latency p50 / p99</th>
                  </tr>
                </thead>
                <tbody>
                  {services.data.services.map((service) => {
                    const s = series.get(service.service);
                    return (
                      <tr key={service.service}>
                        <th scope="row">
                          <Link to={logsRoute(`service:${service.service}`, SERVICE_RANGE)}>{service.service}</Link>
                        </th>
                        <td>{formatCount(service.records)}</td>
                        <td>{s ? <Sparkline values={s.records} label={`${service.service} records per hour: ${s.records.join(", ")}`} /> : "–"}</td>
                        <td className={service.error_rate > 0.05 ? "danger" : ""}>
                          <Link to={logsRoute(`service:${service.service} AND (level:error OR level:critical)`, SERVICE_RANGE)}>{formatPercent(service.error_rate, 2)}</Link>
                        </td>
                        <td>{s ? <Sparkline className="danger" values={s.errorRate} domain={[0, Math.max(0.01, ...s.errorRate.filter((v): v is number => v !== null))]} label={`${service.service} error rate per hour`} /> : "–"}</td>
                        <td>
                          {formatNumber(service.latency_p50_ms)} / {formatNumber(service.latency_p99_ms)} ms
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : (
              <Empty>No log records in the last 24 hours.</Empty>
            )
          ) : null}
        </section>
      </div>
    </section>
  );
}

function ModelRow({ model, generation }: { model: ModelSummary; generation: number }) {
  const last = model.last_window;
  const end = last ? new Date(last.window_end) : null;
  const trend = useApi(
    end ? (signal) => getJson<ModelPerformance>(`/models/${encodeURIComponent(model.model)}/performance`, { since: formatInstant(new Date(end.getTime() - 7 * 86_400_000)), until: formatInstant(end) }, signal) : null,
    [model.model, last?.window_end, generation],
  );
  const values = trend.data?.points.map((p) => p.value) ?? [];
  const compared = last && last.share_drifted ? Math.round(last.drifted_count / last.share_drifted) : model.features.length;
  const status = !last ? "no window yet" : last.share_drifted === null ? last.status.replaceAll("_", " ") : `${last.drifted_count} of ${compared} drifted`;
  return (
    <tr>
      <th scope="row">
        <Link to={modelRoute(model.model)}>{model.model}</Link>
      </th>
      <td className="nowrap">{last ? formatShort(last.window_start) : "–"}</td>
      <td>
        <span className={`badge ${last && last.drifted_count ? "badge-danger" : last ? "badge-ok" : "badge-muted"}`} title={last?.drifted_features.join(", ")}>
          {status}
        </span>
        {last && last.drifted_features.length ? <span className="muted"> {last.drifted_features.join(", ")}</span> : null}
      </td>
      <td>{values.some((v) => v !== null) ? <Sparkline values={values} domain={trend.data?.points.some((p) => p.metric === "mae") ? undefined : [0, 1]} label={`${model.model} ${trend.data?.points.find((p) => p.metric)?.metric ?? "accuracy"} per window: ${values.map((v) => formatNumber(v, 2)).join(", ")}`} /> : <span className="muted">no labels yet</span>}</td>
    </tr>
  );
}
