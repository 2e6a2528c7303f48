"""service/ui.py: the built UI at every view path, its hashed files, and the hint when unbuilt."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.auth.apikeys import KeyStore
from observability.auth.roles import KeyRole
from observability.auth.secret import server_secret
from observability.core.links import Links, is_ui_path
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.service.ui import ASSET_CACHE, BUILD_HINT, install_ui
from observability.store.local import LocalStore

PAGE = b"<!doctype html><title>observability</title><div id=root></div>"
LINKS = Links("http://127.0.0.1:8000")
VIEWS = (
    "/",
    "/models/fraud?since=2026-11-01T00%3A00%3A00.000000Z&report=fraud~20261101T0300_20261101T0400",
    "/reports/fraud~20261101T0300_20261101T0400",
    "/logs?q=level%3Aerror&since=1h",
    "/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    "/alerts?alert=0123456789abcdef",
)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A build output as Vite writes it: index.html and content-hashed assets."""
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_bytes(PAGE)
    (static / "assets" / "index-abc123.js").write_text("console.log('ui')")
    return static


def app_with(static: Path) -> FastAPI:
    """A bare app with only the UI installed from `static`."""
    app = FastAPI()
    install_ui(app, static)
    return app


def test_every_view_answers_the_page(built: Path) -> None:
    """Each view path, with its query, answers index.html uncached, so the app draws it."""
    client = TestClient(app_with(built))
    for view in VIEWS:
        response = client.get(view)
        assert response.status_code == 200, view
        assert response.content == PAGE
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_links_of_alerts_are_views(built: Path) -> None:
    """Every UI link core/links.py writes opens a view the server answers."""
    client = TestClient(app_with(built))
    links = [
        LINKS.model_view("fraud", report_id="fraud~20261101T0300_20261101T0400"),
        LINKS.report_view("fraud~20261101T0300_20261101T0400"),
        LINKS.log_search("level:error"),
        LINKS.trace_view("abc"),
        LINKS.alerts_view("0123"),
    ]
    for link in links:
        path = link.removeprefix(LINKS.public_url)
        assert client.get(path).content == PAGE, link


def test_assets_are_cached_for_good_and_unknown_paths_are_not_pages(built: Path) -> None:
    """Hashed files are served immutable; a path that is no view is a 404, not the page."""
    client = TestClient(app_with(built))
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('ui')"
    assert asset.headers["cache-control"] == ASSET_CACHE
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/models").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_unbuilt_ui_says_how_to_build_it_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a build, the log says once how to build the UI, and every view shows it."""
    with caplog.at_level(logging.WARNING, logger="observability.service.ui"):
        app = app_with(tmp_path / "empty")
    hints = [r for r in caplog.records if "make install" in r.getMessage()]
    assert len(hints) == 1
    client = TestClient(app)
    for view in ("/", "/models/fraud", "/logs"):
        response = client.get(view)
        assert response.status_code == 200
        assert "make install" in response.text
        assert "/api/v1" in response.text
    assert len([r for r in caplog.records if "make install" in r.getMessage()]) == 1
    assert "npm --prefix ui ci" in BUILD_HINT


def test_the_shell_loads_without_a_key_and_the_api_does_not(
    tmp_path: Path, store: LocalStore, metrics: Metrics, built: Path
) -> None:
    """Once keys exist, the views load without one (to ask for it); the API still needs one."""
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    KeyStore(store).create(KeyRole.VIEWER, "ui test", server_secret(settings))
    app = create_app(Runtime(settings, store=store, metrics=metrics), frozenset({Role.API}))
    client = TestClient(app)
    page = client.get("/logs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    refused = client.get("/api/v1/search")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_ui_paths_are_exactly_the_views_and_files() -> None:
    """The public shell is the views and /assets files; dot segments and the API are not."""
    for path in ("/", "/models/m", "/reports/r", "/logs", "/traces/t", "/alerts", "/assets/a.js"):
        assert is_ui_path(path), path
    for path in (
        "/api/v1/search",
        "/models",
        "/models/",
        "/models/m/x",
        "/assets/../api/v1/keys",
        "/reports/..",
        "/metrics",
        "/logs/x",
    ):
        assert not is_ui_path(path), path
