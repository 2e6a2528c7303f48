// Discover-like log search: a query in the search language, a range, counts by level over
// time, and the records newest first, each expandable to its JSON with a link to its trace.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { getJson } from "../api/client";
import type { LogRecord, SearchResult } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/ErrorNote";
import { JsonView } from "../components/JsonView";
import { LevelHistogram } from "../components/LevelHistogram";
import { Link } from "../components/Link";
import { presetLabel, RangePicker } from "../components/RangePicker";
import { navigate } from "../lib/navigation";
import type { Route } from "../lib/routes";
import { formatInstant, formatPrecise, pickInterval, resolveRange } from "../lib/time";
import { useApi } from "../lib/useApi";
import { useSession } from "../session";

type LogsRoute = Extract<Route, { view: "logs" }>;

const PAGE_SIZE = 50;
// Like Grafana's Explore: an hour of every service. On AWS without an index each search is an
// Athena scan, billed by the bytes of its range (`observability cost`, prices.toml).
const DEFAULT_SINCE = "1h";

export function LogsPage({ route }: { route: LogsRoute }) {
  const { generation } = useSession();
  const [draft, setDraft] = useState(route.q);
  // The cursors of the pages walked so far: the last is the current page's (none: the first).
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.length ? pages[pages.length - 1]! : null;
  useEffect(() => {
    setDraft(route.q);
    setPages([]);
  }, [route.q, route.since, route.until]);

  // Searching again (same query) re-reads a relative range from now.
  const [tick, setTick] = useState(0);
  // The range as instants, fixed when the search starts: every page and the histogram agree.
  const searched = useMemo(() => {
    const resolved = resolveRange({ since: route.since, until: route.until }, new Date(), DEFAULT_SINCE);
    return resolved.ok ? resolved.range : null;
  }, [route.since, route.until, generation, tick]);
  const interval = searched ? pickInterval(searched.end.getTime() - searched.start.getTime()) : "1h";

  const result = useApi(
    (signal) =>
      getJson<SearchResult>(
        "/search",
        {
          q: route.q,
          since: searched ? formatInstant(searched.start) : route.since || DEFAULT_SINCE,
          until: searched ? formatInstant(searched.end) : route.until,
          size: PAGE_SIZE,
          search_after: cursor,
          interval: cursor ? null : interval,
        },
        signal,
      ),
    [route.q, searched, cursor, interval],
  );
  // The histogram comes with the first page and stays while paging.
  const [histogram, setHistogram] = useState<SearchResult["aggregations"] | null>(null);
  useEffect(() => {
    if (result.data?.aggregations) setHistogram(result.data.aggregations);
  }, [result.data]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTick((n) => n + 1);
    navigate({ ...route, q: draft.trim() });
  };

  return (
    <section aria-labelledby="logs-title" className="page logs-page">
      <header className="page-header">
        <h1 id="logs-title">Logs</h1>
        <form className="query-bar" role="search" onSubmit={submit}>
          <label htmlFor="log-query">Query</label>
          <input
            id="log-query"
            type="search"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            placeholder='level:error AND service:checkout, "timed out", trace_id:abc…'
            aria-describedby="query-help"
            spellCheck={false}
          />
          <button type="submit">Search</button>
          <span id="query-help" className="hint">
            Free text, <code>field:value</code>, <code>AND</code>/<code>OR</code>/<code>NOT</code>, quotes for phrases.
          </span>
        </form>
        <RangePicker range={{ since: route.since, until: route.until }} onChange={(r) => navigate({ ...route, ...r })} defaultLabel={presetLabel(DEFAULT_SINCE)} />
      </header>
      {result.error ? <ErrorNote error={result.error} what="Search" /> : null}
      {histogram && histogram.levels.length ? <LevelHistogram buckets={histogram.levels} intervalMs={histogram.interval_ms} start={searched?.start.getTime()} end={searched?.end.getTime()} /> : null}
      {result.loading ? <Loading what="records" /> : null}
      {result.data ? (
        <>
          <p className="hint" role="status" data-testid="search-status">
            {result.data.total.toLocaleString("en-US")} records · {result.data.backend} · {result.data.took_ms.toFixed(0)} ms
          </p>
          {result.data.hits.length ? <RecordTable hits={result.data.hits} /> : <Empty>No record matches. Widen the range or loosen the query.</Empty>}
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={!pages.length} onClick={() => setPages(pages.slice(0, -1))}>
              ← Newer
            </button>
            <span>Page {pages.length + 1}</span>
            <button type="button" disabled={!result.data.next_cursor} onClick={() => setPages([...pages, result.data!.next_cursor!])}>
              Older →
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

export function levelClass(level: unknown): string {
  const name = typeof level === "string" ? level.toLowerCase() : "";
  return `level level-${name || "unknown"}`;
}

export function RecordTable({ hits, showOffset }: { hits: LogRecord[]; showOffset?: number }) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  return (
    <table className="records">
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">Expand</span>
          </th>
          <th scope="col">{showOffset !== undefined ? "Offset" : "Time (UTC)"}</th>
          <th scope="col">Level</th>
          <th scope="col">Service</th>
          <th scope="col">Event</th>
          <th scope="col">Trace</th>
        </tr>
      </thead>
      <tbody>
        {hits.map((hit, index) => {
          const id = String(hit.record_id ?? index);
          const expanded = open.has(id);
          const offset = showOffset !== undefined && hit.timestamp ? Date.parse(hit.timestamp) - showOffset : null;
          return (
            <RecordRows key={id} hit={hit} id={id} expanded={expanded} onToggle={() => toggle(id)} offset={offset} />
          );
        })}
      </tbody>
    </table>
  );
}

function RecordRows({ hit, id, expanded, onToggle, offset }: { hit: LogRecord; id: string; expanded: boolean; onToggle: () => void; offset: number | null }) {
  const detailId = `record-${id}`;
  return (
    <>
      <tr className={expanded ? "expanded" : ""} data-testid="record-row">
        <td>
          <button type="button" className="icon" aria-expanded={expanded} aria-controls={detailId} onClick={onToggle} aria-label={`${expanded ? "Collapse" : "Expand"} record ${hit.event ?? id}`}>
            {expanded ? "▾" : "▸"}
          </button>
        </td>
        <td className="mono nowrap">{offset !== null ? `+${offset} ms` : hit.timestamp ? formatPrecise(hit.timestamp) : "–"}</td>
        <td>
          <span className={levelClass(hit.level)}>{hit.level ?? "–"}</span>
        </td>
        <td>{hit.service ?? "–"}</td>
        <td className="event">{hit.event ?? ""}</td>
        <td className="mono">{hit.trace_id ? <Link to={{ view: "trace", traceId: hit.trace_id }} aria-label={`Trace ${hit.trace_id}`}>{hit.trace_id.slice(0, 12)}</Link> : "–"}</td>
      </tr>
      {expanded ? (
        <tr id={detailId} className="record-detail">
          <td />
          <td colSpan={5}>
            <div className="record-json" data-testid="record-json">
              <JsonView value={hit} />
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}
