// Every record of one trace, oldest first, with its offset from the first: what happened,
// where (service, span), in which order.
import { getJson } from "../api/client";
import type { SearchResult } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/ErrorNote";
import { Link } from "../components/Link";
import { formatPrecise } from "../lib/time";
import { useApi } from "../lib/useApi";
import { useSession } from "../session";
import { RecordTable } from "./LogsPage";

const MAX_RECORDS = 1000;

export function TracePage({ traceId }: { traceId: string }) {
  const { generation } = useSession();
  const result = useApi(
    (signal) => getJson<SearchResult>("/search", { trace_id: [traceId], sort: "asc", size: MAX_RECORDS }, signal),
    [traceId, generation],
  );
  const hits = result.data?.hits ?? [];
  const times = hits.map((h) => (h.timestamp ? Date.parse(h.timestamp) : NaN)).filter((t) => !Number.isNaN(t));
  const first = times.length ? Math.min(...times) : 0;
  const last = times.length ? Math.max(...times) : 0;
  const services = [...new Set(hits.map((h) => h.service).filter(Boolean))];
  const errors = hits.filter((h) => ["error", "critical"].includes(String(h.level ?? "").toLowerCase())).length;
  return (
    <section aria-labelledby="trace-title" className="page trace-page">
      <header className="page-header">
        <h1 id="trace-title">
          Trace <span className="mono">{traceId}</span>
        </h1>
        <p className="subtitle">
          <Link to={{ view: "logs", q: `trace_id:"${traceId}"`, since: "", until: "" }}>Open in log search</Link>
        </p>
      </header>
      {result.error ? <ErrorNote error={result.error} what="Trace" /> : null}
      {result.loading ? <Loading what="the trace" /> : null}
      {result.data ? (
        hits.length ? (
          <>
            <p className="hint" data-testid="trace-summary">
              {hits.length} records{result.data.total > hits.length ? ` (of ${result.data.total})` : ""} · {services.join(", ")} · {last - first} ms from {formatPrecise(new Date(first).toISOString())} UTC
              {errors ? ` · ${errors} ${errors === 1 ? "error" : "errors"}` : ""}
            </p>
            <Waterfall hits={hits} first={first} last={last} />
            <RecordTable hits={hits} showOffset={first} />
          </>
        ) : (
          <Empty>No record carries this trace id.</Empty>
        )
      ) : null}
    </section>
  );
}

/** Each record as a tick on one time line per service. */
function Waterfall({ hits, first, last }: { hits: SearchResult["hits"]; first: number; last: number }) {
  const services = [...new Set(hits.map((h) => String(h.service ?? "?")))];
  const span = Math.max(last - first, 1);
  return (
    <div className="waterfall" aria-hidden="true">
      {services.map((service) => (
        <div key={service} className="lane">
          <span className="lane-name">{service}</span>
          <span className="lane-track">
            {hits
              .filter((h) => String(h.service ?? "?") === service && h.timestamp)
              .map((h, i) => (
                <span key={i} className={`tick level-fill level-${String(h.level ?? "").toLowerCase()}`} style={{ left: `${((Date.parse(h.timestamp!) - first) / span) * 100}%` }} title={`${h.event ?? ""}`} />
              ))}
          </span>
        </div>
      ))}
    </div>
  );
}
