// The shell: navigation, key and theme controls, and the view the URL names.
import { useEffect, useRef } from "react";
import { ApiError } from "./api/client";
import { KeyMenu } from "./components/KeyMenu";
import { Link } from "./components/Link";
import { useRoute } from "./lib/navigation";
import type { Route } from "./lib/routes";
import { AlertsPage } from "./pages/AlertsPage";
import { LogsPage } from "./pages/LogsPage";
import { ModelPage } from "./pages/ModelPage";
import { OverviewPage } from "./pages/OverviewPage";
import { ReportPage } from "./pages/ReportPage";
import { TracePage } from "./pages/TracePage";
import { useSession } from "./session";
import { useTheme, type ThemeChoice } from "./theme";

function title(route: Route): string {
  switch (route.view) {
    case "overview":
      return "Overview";
    case "model":
      return `Model ${route.model}`;
    case "report":
      return `Report ${route.reportId}`;
    case "logs":
      return route.q ? `Logs: ${route.q}` : "Logs";
    case "trace":
      return `Trace ${route.traceId}`;
    case "alerts":
      return "Alerts";
    case "not-found":
      return "Not found";
  }
}

/** What makes a page another page: the view and the thing it shows. */
export function pageIdentity(route: Route): string {
  switch (route.view) {
    case "model":
      return `model:${route.model}`;
    case "report":
      return `report:${route.reportId}`;
    case "trace":
      return `trace:${route.traceId}`;
    default:
      return route.view;
  }
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "overview":
      return <OverviewPage />;
    case "model":
      return <ModelPage route={route} />;
    case "report":
      return <ReportPage reportId={route.reportId} />;
    case "logs":
      return <LogsPage route={route} />;
    case "trace":
      return <TracePage traceId={route.traceId} />;
    case "alerts":
      return <AlertsPage selected={route.alert} />;
    case "not-found":
      return (
        <section className="page">
          <h1>Not found</h1>
          <p>
            No view at <code>{route.path}</code>. <Link to={{ view: "overview" }}>Go to the overview</Link>.
          </p>
        </section>
      );
  }
}

function ThemeSelect() {
  const { choice, setChoice } = useTheme();
  return (
    <label className="theme-select">
      <span className="visually-hidden">Colour theme</span>
      <select value={choice} onChange={(event) => setChoice(event.target.value as ThemeChoice)} aria-label="Colour theme">
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

/** A banner while the server refuses the session's credential: what to do about it. */
function SessionBanner() {
  const session = useSession();
  const error = session.error;
  if (!(error instanceof ApiError) || !(error.needsKey || error.forbidden)) return null;
  return (
    <div className={`banner ${error.needsKey ? "note-auth" : "note-forbidden"}`} role="alert" data-testid="session-banner">
      {session.key && error.needsKey ? "The key in this tab was refused (mistyped, revoked or expired). " : ""}
      {error.message}
    </div>
  );
}

export function App() {
  const route = useRoute();
  useEffect(() => {
    document.title = `${title(route)} · observability`;
  }, [route]);
  // A new page (not a new range or query on the same one) moves focus to its content, so a
  // screen reader announces it and Tab starts there, as after a full page load.
  const page = pageIdentity(route);
  const previous = useRef(page);
  useEffect(() => {
    if (previous.current !== page) document.getElementById("main")?.focus({ preventScroll: false });
    previous.current = page;
  }, [page]);
  const current = (view: Route["view"]) => (route.view === view || (view === "overview" && route.view === "model") ? "page" : undefined);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={{ view: "overview" }} className="brand">
          observability
        </Link>
        <nav aria-label="Views">
          <Link to={{ view: "overview" }} aria-current={current("overview")}>
            Overview
          </Link>
          <Link to={{ view: "logs", q: "", since: "", until: "" }} aria-current={route.view === "logs" || route.view === "trace" ? "page" : undefined}>
            Logs
          </Link>
          <Link to={{ view: "alerts", alert: "" }} aria-current={current("alerts")}>
            Alerts
          </Link>
        </nav>
        <div className="topbar-end">
          <ThemeSelect />
          <KeyMenu />
        </div>
      </header>
      <SessionBanner />
      <main id="main" tabIndex={-1}>
        <View route={route} />
      </main>
    </>
  );
}
