import type { AnchorHTMLAttributes, MouseEvent } from "react";
import { navigate } from "../lib/navigation";
import { routeHref, type Route } from "../lib/routes";

/** An in-app link: a real href (open in a new tab, copy), navigated without a reload. */
export function Link({ to, children, ...rest }: { to: Route } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const href = routeHref(to);
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
