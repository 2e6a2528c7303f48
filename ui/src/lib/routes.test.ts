import { describe, expect, it } from "vitest";
import { parseRoute, routeHref, type Route } from "./routes";

describe("routes", () => {
  it("opens the links core/links.py writes as the views they name", () => {
    const model = parseRoute(
      "/models/fraud",
      "?since=2026-11-01T00%3A00%3A00.000000Z&until=2026-11-02T00%3A00%3A00.000000Z&report=fraud%7E20261101T0300_20261101T0400",
    );
    expect(model).toEqual({
      view: "model",
      model: "fraud",
      since: "2026-11-01T00:00:00.000000Z",
      until: "2026-11-02T00:00:00.000000Z",
      report: "fraud~20261101T0300_20261101T0400",
      feature: "",
      resolution: "",
    });
    expect(parseRoute("/reports/fraud~20261101T0300_20261101T0400", "")).toEqual({ view: "report", reportId: "fraud~20261101T0300_20261101T0400" });
    expect(parseRoute("/logs", "?q=level%3Aerror&since=1h")).toEqual({ view: "logs", q: "level:error", since: "1h", until: "" });
    expect(parseRoute("/traces/abc123", "")).toEqual({ view: "trace", traceId: "abc123" });
    expect(parseRoute("/alerts", "?alert=0123456789abcdef")).toEqual({ view: "alerts", alert: "0123456789abcdef" });
    expect(parseRoute("/", "")).toEqual({ view: "overview" });
  });

  it("writes every route as a URL that parses back to it", () => {
    const routes: Route[] = [
      { view: "overview" },
      { view: "model", model: "a.b-c", since: "7d", until: "", report: "a.b-c~20261101T0300_20261101T0400", feature: "amount", resolution: "window" },
      { view: "report", reportId: "m~20261101T0300_20261101T0400" },
      { view: "logs", q: 'service:checkout AND "timed out"', since: "2026-12-01", until: "2026-12-02" },
      { view: "trace", traceId: "4bf92f3577b34da6a3ce929d0e0e4736" },
      { view: "alerts", alert: "" },
    ];
    for (const route of routes) {
      const href = new URL(routeHref(route), "http://ui.test");
      expect(parseRoute(href.pathname, href.search)).toEqual(route);
    }
  });

  it("names paths that are no view, including malformed escapes, as not found", () => {
    expect(parseRoute("/models", "").view).toBe("not-found");
    expect(parseRoute("/models/a/b", "").view).toBe("not-found");
    expect(parseRoute("/models/%E0%A4%A", "").view).toBe("not-found");
    expect(parseRoute("/nowhere", "").view).toBe("not-found");
  });
});
