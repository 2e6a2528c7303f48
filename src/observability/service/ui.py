"""The built web UI (`ui/`) at `/`: its page for every view path, its hashed files under
`/assets`.

The views are the single-page app's routes (`core/links.py` UI_VIEWS); each answers the
same `index.html` and the app's router draws the view from the URL, so a link from an alert
opens exactly what it names. `make install` builds the app into `static/` beside this
module (not committed; a wheel from `make dist` carries it). A source checkout without it
still serves the API, and says once in the log, and at every view, how to build the UI.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from observability.core.links import UI_ASSETS, UI_VIEWS

log = logging.getLogger(__name__)

#: Where `make install` puts the built app.
STATIC_DIR: Final = Path(__file__).parent / "static"
INDEX: Final = "index.html"
BUILD_HINT: Final = (
    "the web UI is not built: run `make install` (or `npm --prefix ui ci && "
    "npm --prefix ui run build`, Node 20 and npm needed) and restart; the API works without it"
)
#: The page refers to hashed files: revalidate it, keep the files for a year.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Reports render in a sandboxed frame of their own (opaque origin, scripts only); the
    # page itself is never framed and loads nothing from elsewhere but its own origin.
    "Content-Security-Policy": (
        "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
    ),
}
ASSET_CACHE: Final = "public, max-age=31536000, immutable"


class _Assets(StaticFiles):
    """The hashed files, cached for good (a new build has new names)."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = ASSET_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install_ui(app: FastAPI, static_dir: Path = STATIC_DIR) -> bool:
    """Serve the UI from `static_dir` at its views; True when it is built."""
    index = static_dir / INDEX
    built = index.is_file() and (static_dir / UI_ASSETS.strip("/")).is_dir()
    if built:

        async def page() -> Response:
            return FileResponse(index, media_type="text/html", headers=PAGE_HEADERS)

        app.mount(UI_ASSETS, _Assets(directory=static_dir / UI_ASSETS.strip("/")), name="ui")
    else:
        log.warning("%s", BUILD_HINT)
        missing = _missing_page()

        async def page() -> Response:
            return HTMLResponse(missing, headers=PAGE_HEADERS)

    for view in UI_VIEWS:
        app.add_api_route(view, page, methods=["GET"], include_in_schema=False, name=f"ui:{view}")
    return built


def _missing_page() -> str:
    """What `/` says when the UI is not built."""
    hint = html.escape(BUILD_HINT)
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        "<title>observability: UI not built</title>"
        "<style>body{font:16px system-ui,sans-serif;max-width:40em;margin:4em auto;"
        "padding:0 1em}code{background:#8882;padding:.1em .3em}</style>"
        f"<h1>The web UI is not built</h1><p>{hint}.</p>"
        "<p>The API is served under <code>/api/v1</code>; its description is at "
        "<a href=/docs>/docs</a>.</p></html>"
    )
