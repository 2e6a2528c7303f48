// Navigation without a router library: history.pushState plus one event the app listens to.
import { useEffect, useState } from "react";
import { parseRoute, routeHref, type Route } from "./routes";

const EVENT = "observability:navigate";

/** Go to a route; `replace` rewrites the current entry (typing in a box, not a new view). */
export function navigate(route: Route | string, replace = false): void {
  const href = typeof route === "string" ? route : routeHref(route);
  if (href === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.dispatchEvent(new Event(EVENT));
}

/** The current route, following pushState navigations and the back/forward buttons. */
export function useRoute(): Route {
  const read = () => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener("popstate", update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return route;
}
