// What is firing, pending and resolved, each transition in the history, and silences:
// an admin creates one from an alert's labels (or by hand) and expires it; a viewer sees
// them and no form. A silenced alert moves to its own group, as in Alertmanager.
// `?alert=<fingerprint>` (the alerts' own links) selects one alert.
import { useId, useMemo, useState, type FormEvent } from "react";
import { getJson, sendJson } from "../api/client";
import type { Alert, AlertHistoryPage, AlertList, Silence, SilenceList } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/ErrorNote";
import { formatNumber } from "../lib/format";
import { navigate } from "../lib/navigation";
import { formatShort } from "../lib/time";
import { useApi } from "../lib/useApi";
import { canAdmin, useSession } from "../session";

/** Groups in the order on-call reads them; `silenced` is a firing alert a silence mutes. */
export const GROUP_ORDER = ["firing", "error", "nodata", "pending", "silenced", "resolved"] as const;

/** The group an alert is shown in. */
export function groupOf(alert: Alert): string {
  return alert.silenced_by && alert.state !== "resolved" ? "silenced" : alert.state;
}

export function groupAlerts(alerts: Alert[]): Array<[string, Alert[]]> {
  const groups = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const key = groupOf(alert);
    groups.set(key, [...(groups.get(key) ?? []), alert]);
  }
  const rank = (group: string) => {
    const index = (GROUP_ORDER as readonly string[]).indexOf(group);
    return index < 0 ? GROUP_ORDER.length : index;
  };
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Matchers that select exactly this alert's label set, in the silence syntax. */
export function matchersFor(labels: Record<string, string>): string[] {
  return Object.entries(labels)
    .filter(([name]) => name !== "severity")
    .sort(([a], [b]) => (a === "alertname" ? -1 : b === "alertname" ? 1 : a.localeCompare(b)))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
}

export function AlertsPage({ selected }: { selected: string }) {
  const session = useSession();
  const admin = canAdmin(session);
  const alerts = useApi((signal) => getJson<AlertList>("/alerts", {}, signal), [session.generation]);
  const history = useApi((signal) => getJson<AlertHistoryPage>("/alerts/history", { since: "7d" }, signal), [session.generation]);
  const silences = useApi((signal) => getJson<SilenceList>("/silences", {}, signal), [session.generation]);
  const [prefill, setPrefill] = useState<string[] | null>(null);
  const groups = useMemo(() => groupAlerts(alerts.data?.alerts ?? []), [alerts.data]);
  const reloadAll = () => {
    alerts.reload();
    silences.reload();
    history.reload();
  };

  return (
    <section aria-labelledby="alerts-title" className="page alerts-page">
      <header className="page-header">
        <h1 id="alerts-title">Alerts</h1>
        <button type="button" onClick={reloadAll}>
          Refresh
        </button>
      </header>
      {alerts.error ? <ErrorNote error={alerts.error} what="Alerts" /> : null}
      {alerts.loading && !alerts.data ? <Loading what="alerts" /> : null}
      {alerts.data ? (
        groups.length ? (
          groups.map(([group, list]) => (
            <section key={group} aria-labelledby={`group-${group}`} className={`panel alert-group state-${group}`} data-testid={`alerts-${group}`}>
              <h2 id={`group-${group}`}>
                {group} <span className="count">{list.length}</span>
              </h2>
              <ul className="alert-list">
                {list.map((alert) => (
                  <AlertItem key={alert.fingerprint} alert={alert} selected={alert.fingerprint === selected} admin={admin} onSilence={() => setPrefill(matchersFor(alert.labels))} />
                ))}
              </ul>
            </section>
          ))
        ) : (
          <Empty>No alert is pending, firing or recently resolved.</Empty>
        )
      ) : null}

      <section aria-labelledby="silences-title" className="panel">
        <h2 id="silences-title">Silences</h2>
        {silences.error ? <ErrorNote error={silences.error} what="Silences" /> : null}
        {silences.data ? <SilenceTable silences={silences.data.silences} admin={admin} onChange={reloadAll} /> : null}
        {admin ? (
          <SilenceForm
            key={prefill?.join(",") ?? ""}
            initial={prefill ?? []}
            onCreated={() => {
              setPrefill(null);
              reloadAll();
            }}
          />
        ) : session.identity ? (
          <p className="hint" data-testid="silence-readonly">
            Creating and expiring silences needs an admin key; this key has {session.identity.roles.join(", ") || "no role"}.
          </p>
        ) : null}
      </section>

      <section aria-labelledby="history-title" className="panel">
        <h2 id="history-title">History, last 7 days</h2>
        {history.error ? <ErrorNote error={history.error} what="History" /> : null}
        {history.data ? <HistoryTable rows={history.data.items} /> : null}
      </section>
    </section>
  );
}

function AlertItem({ alert, selected, admin, onSilence }: { alert: Alert; selected: boolean; admin: boolean; onSilence: () => void }) {
  const name = alert.labels.alertname ?? alert.rule;
  const since = alert.state === "resolved" ? alert.resolved_at : (alert.fired_at ?? alert.active_since);
  return (
    <li className={`alert-item${selected ? " selected" : ""}`} data-testid="alert-item" data-fingerprint={alert.fingerprint} aria-current={selected ? "true" : undefined}>
      <div className="alert-head">
        <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>{" "}
        <button type="button" className="link strong" aria-expanded={selected} onClick={() => navigate({ view: "alerts", alert: selected ? "" : alert.fingerprint }, true)}>
          {name}
        </button>{" "}
        {alert.silenced_by ? (
          <span className="badge badge-muted" title={`silence ${alert.silenced_by}`}>
            silenced
          </span>
        ) : null}
        <span className="muted">
          {" "}
          {alert.state} since {since ? formatShort(since) : "?"} UTC
        </span>
      </div>
      <p>{alert.annotations.summary ?? ""}</p>
      <p className="labels">
        {Object.entries(alert.labels).map(([k, v]) => (
          <code key={k}>
            {k}={v}
          </code>
        ))}
      </p>
      {selected ? (
        <div className="alert-detail">
          {alert.annotations.description ? <p>{alert.annotations.description}</p> : null}
          <p>
            Value {formatNumber(alert.value)} · threshold {formatNumber(alert.threshold)}
          </p>
          <p className="links">
            {Object.entries(alert.links).map(([label, url]) => (
              <a key={label} href={url}>
                {label}
              </a>
            ))}
            {alert.generator_url && !Object.values(alert.links).includes(alert.generator_url) ? <a href={alert.generator_url}>source</a> : null}
          </p>
        </div>
      ) : null}
      {admin && alert.state !== "resolved" && !alert.silenced_by ? (
        <button type="button" onClick={onSilence}>
          Silence…
        </button>
      ) : null}
    </li>
  );
}

function SilenceTable({ silences, admin, onChange }: { silences: Silence[]; admin: boolean; onChange: () => void }) {
  const [error, setError] = useState<Error | null>(null);
  if (!silences.length) return <Empty>No silence.</Empty>;
  const expire = async (id: string) => {
    try {
      await sendJson("DELETE", `/silences/${encodeURIComponent(id)}`);
      setError(null);
      onChange();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    }
  };
  return (
    <>
      {error ? <ErrorNote error={error} what="Expire" /> : null}
      <table className="silences" data-testid="silence-list">
        <thead>
          <tr>
            <th scope="col">Matchers</th>
            <th scope="col">State</th>
            <th scope="col">Ends (UTC)</th>
            <th scope="col">By</th>
            <th scope="col">Why</th>
            {admin ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {silences.map((silence) => (
            <tr key={silence.id} data-testid="silence-row" data-state={silence.state}>
              <td>
                {silence.matchers.map((m) => (
                  <code key={m}>{m}</code>
                ))}
              </td>
              <td>{silence.state}</td>
              <td>{formatShort(silence.ends_at)}</td>
              <td>{silence.created_by}</td>
              <td>{silence.comment}</td>
              {admin ? (
                <td>
                  {silence.state !== "expired" ? (
                    <button type="button" onClick={() => void expire(silence.id)} aria-label={`Expire silence ${silence.matchers.join(", ")}`}>
                      Expire
                    </button>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export const DURATIONS: ReadonlyArray<[string, string]> = [
  ["1h", "1 hour"],
  ["4h", "4 hours"],
  ["1d", "1 day"],
  ["1w", "1 week"],
];

/** The body of `POST /silences` from the form's fields. */
export function silenceBody(matchers: string, duration: string, comment: string): { matchers: string[]; duration: string; comment: string } {
  return {
    matchers: matchers
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean),
    duration,
    comment: comment.trim(),
  };
}

export function SilenceForm({ initial, onCreated }: { initial: string[]; onCreated: () => void }) {
  const id = useId();
  const [matchers, setMatchers] = useState(initial.join("\n"));
  const [duration, setDuration] = useState("1h");
  const [comment, setComment] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await sendJson("POST", "/silences", silenceBody(matchers, duration, comment));
      setError(null);
      setComment("");
      onCreated();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="silence-form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`} data-testid="silence-form">
      <h3 id={`${id}-title`}>New silence</h3>
      <label htmlFor={`${id}-matchers`}>Matchers, one a line</label>
      <textarea id={`${id}-matchers`} rows={3} value={matchers} onChange={(e) => setMatchers(e.target.value)} placeholder={'alertname="fraud-drift"\nmodel="fraud"'} required spellCheck={false} />
      <label htmlFor={`${id}-duration`}>For</label>
      <select id={`${id}-duration`} value={duration} onChange={(e) => setDuration(e.target.value)}>
        {DURATIONS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-comment`}>Why</label>
      <input id={`${id}-comment`} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="The incident, the change or the ticket" required />
      <p className="hint">The silence is recorded under this key's name, from now.</p>
      <button type="submit" disabled={busy}>
        Create silence
      </button>
      {error ? <ErrorNote error={error} what="Silence" /> : null}
    </form>
  );
}

function HistoryTable({ rows }: { rows: AlertHistoryPage["items"] }) {
  if (!rows.length) return <Empty>No state change in the last 7 days.</Empty>;
  return (
    <table className="history" data-testid="alert-history">
      <thead>
        <tr>
          <th scope="col">At (UTC)</th>
          <th scope="col">Alert</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Value</th>
          <th scope="col">Summary</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={`${row.fingerprint}-${row.changed_at}-${index}`}>
            <td className="nowrap">{formatShort(row.changed_at)}</td>
            <td>{row.labels.alertname ?? row.rule}</td>
            <td>{row.from_state}</td>
            <td>{row.to_state}</td>
            <td>{formatNumber(row.value)}</td>
            <td>{row.error ?? row.summary}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
