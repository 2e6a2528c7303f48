// The views and their URLs: the same shapes as `core/links.py` (UI_VIEWS and the `*_view`
// links alerts send), so a pasted link opens the view it names. Every piece of view state
// lives in the URL; navigating is writing a new URL.

export type Route =
  | { view: "overview" }
  | { view: "model"; model: string; since: string; until: string; report: string; feature: string; resolution: string }
  | { view: "report"; reportId: string }
  | { view: "logs"; q: string; since: string; until: string }
  | { view: "trace"; traceId: string }
  | { view: "alerts"; alert: string }
  | { view: "not-found"; path: string };

function segment(value: string): string {
  return encodeURIComponent(value);
}

function withQuery(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The route a path and query string name. */
export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const get = (name: string) => params.get(name) ?? "";
  const parts = pathname.replace(/\/+$/, "").split("/").slice(1);
  const [head, arg, ...rest] = parts;
  const one = (value: string | undefined) => (value !== undefined && rest.length === 0 && value !== "");
  try {
    if (parts.length === 0 || (parts.length === 1 && head === "")) return { view: "overview" };
    if (head === "models" && one(arg))
      return {
        view: "model",
        model: decodeURIComponent(arg!),
        since: get("since"),
        until: get("until"),
        report: get("report"),
        feature: get("feature"),
        resolution: get("resolution"),
      };
    if (head === "reports" && one(arg)) return { view: "report", reportId: decodeURIComponent(arg!) };
    if (head === "logs" && parts.length === 1)
      return { view: "logs", q: get("q"), since: get("since"), until: get("until") };
    if (head === "traces" && one(arg)) return { view: "trace", traceId: decodeURIComponent(arg!) };
    if (head === "alerts" && parts.length === 1) return { view: "alerts", alert: get("alert") };
  } catch {
    // a malformed %-escape: fall through to not-found
  }
  return { view: "not-found", path: pathname };
}

/** The URL of a route (path and query), the inverse of `parseRoute`. */
export function routeHref(route: Route): string {
  switch (route.view) {
    case "overview":
      return "/";
    case "model":
      return withQuery(`/models/${segment(route.model)}`, {
        since: route.since,
        until: route.until,
        report: route.report,
        feature: route.feature,
        resolution: route.resolution,
      });
    case "report":
      return `/reports/${segment(route.reportId)}`;
    case "logs":
      return withQuery("/logs", { q: route.q, since: route.since, until: route.until });
    case "trace":
      return `/traces/${segment(route.traceId)}`;
    case "alerts":
      return withQuery("/alerts", { alert: route.alert });
    case "not-found":
      return route.path;
  }
}

export const modelRoute = (model: string, extra: Partial<Omit<Extract<Route, { view: "model" }>, "view" | "model">> = {}): Route => ({
  view: "model",
  model,
  since: "",
  until: "",
  report: "",
  feature: "",
  resolution: "",
  ...extra,
});

export const logsRoute = (q = "", since = "", until = ""): Route => ({ view: "logs", q, since, until });
