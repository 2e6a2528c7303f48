"""The UI's end-to-end set-up: Debian's Chromium driven by Playwright (PyPI `playwright`,
pointed at the system executable: it never downloads a browser) against a real
`observability serve` on a seeded store, with keys of each role.

Screenshots go to build/ui-artifacts/ (the CI keeps them), each checked not to be blank.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from observability.auth.apikeys import KeyStore
from observability.auth.roles import KeyRole
from observability.auth.secret import server_secret
from observability.core.settings import Settings
from observability.service.ui import STATIC_DIR
from observability.store.local import LocalStore
from tests.ui import seed

ARTIFACTS: Final = Path(__file__).resolve().parents[2] / "build" / "ui-artifacts"
#: Headless, and nothing that reaches beyond this machine.
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIEWPORT: Final = {"width": 1400, "height": 1000}


def system_chromium() -> str:
    """Debian's Chromium; installed with apt-get (as root, no stdin) when it is missing."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("Chromium is missing and only root can install it: apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(  # noqa: PLW1510 - the return code is checked below
            args, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=900
        )
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
    found = shutil.which("chromium")
    if not found:
        pytest.fail("apt-get installed chromium, but no `chromium` is on PATH")
    return found


@dataclass(frozen=True)
class Keys:
    """One key per role."""

    viewer: str
    admin: str


@dataclass(frozen=True)
class Served:
    """The running server and what it serves."""

    base: str
    keys: Keys
    trace_ids: list[str]
    root: Path

    def api(self, path: str, **params: Any) -> httpx.Response:
        """An API GET as the admin."""
        return httpx.get(
            f"{self.base}/api/v1{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.keys.admin}"},
            timeout=30,
        )


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`observability serve --role api` over a seeded store, with a viewer and an admin key."""
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("the web UI is not built: run `make install` (it builds ui/ into the package)")
    root = tmp_path_factory.mktemp("ui-e2e")
    store = LocalStore(root / "store", fsync=False)
    models_yaml = seed.drift_store(store, root)
    now = datetime.now(UTC)
    trace_ids = seed.log_records(store, now)
    seed.budget_windows(store, now.replace(minute=0, second=0, microsecond=0))
    settings = Settings.from_env({}, store_url=store.url, state_dir=root / "state")
    secret = server_secret(settings)
    keystore = KeyStore(store)
    keys = Keys(
        viewer=keystore.create(KeyRole.VIEWER, "e2e viewer", secret)[0],
        admin=keystore.create(KeyRole.ADMIN, "e2e admin", secret)[0],
    )
    env = {
        **os.environ,
        "OBSERVABILITY_STORE_URL": store.url,
        "OBSERVABILITY_STATE_DIR": str(root / "state"),
        "OBSERVABILITY_MODELS_CONFIG": str(models_yaml),
        "OBSERVABILITY_LOG_LEVEL": "warning",
    }
    cli = Path(sys.executable).with_name("observability")
    alerts_yaml = root / "alerts.yaml"
    alerts_yaml.write_text(seed.ALERTS_YAML)
    evaluated = subprocess.run(  # noqa: PLW1510 - the return code is checked below
        [str(cli), "alerts", "eval", "--file", str(alerts_yaml)],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert evaluated.returncode == 0, evaluated.stdout.decode()[-2000:]
    assert b"inactive -> firing" in evaluated.stdout, evaluated.stdout.decode()[-2000:]
    port = free_port()
    args = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--role", "api"]
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the server did not get ready within 60 s")
            time.sleep(0.1)
        yield Served(base, keys, trace_ids, root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, launched once for the session."""
    from playwright.sync_api import sync_playwright

    executable = system_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_page(browser: Any, served: Served) -> Iterator[Any]:
    """`open_page(key=None, dark=False)`: a page in a fresh context (its own sessionStorage),
    with the key already entered when given; page errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(key: str | None = None, *, dark: bool = False) -> Any:
        context = browser.new_context(
            viewport=VIEWPORT, color_scheme="dark" if dark else "light", base_url=served.base
        )
        if key is not None:
            # The top page only: the report's sandboxed frame has no storage.
            context.add_init_script(
                "if (window.top === window) "
                f"sessionStorage.setItem('observability.api_key', {key!r});"
            )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


def snap(page: Any, name: str) -> Path:
    """Save a full-page screenshot under build/ui-artifacts and check it is not blank."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    stats = picture_stats(page.context.browser, path)
    assert stats["colours"] >= 16 and stats["inked"] >= 0.01, (name, stats)
    return path


def picture_stats(browser: Any, path: Path) -> dict[str, float]:
    """Distinct colours, and the share of pixels unlike the corner's (the background), of a
    PNG, decoded by Chromium itself."""
    page = browser.new_page()
    try:
        data = base64.b64encode(path.read_bytes()).decode()
        stats: dict[str, float] = page.evaluate(
            """async (data) => {
                const image = new Image();
                image.src = "data:image/png;base64," + data;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const pixels = context.getImageData(0, 0, image.width, image.height).data;
                const colours = new Set();
                let inked = 0;
                for (let i = 0; i < pixels.length; i += 4) {
                    const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
                    if (colours.size < 4096) colours.add(rgb);
                    const diff = Math.abs(pixels[i] - pixels[0])
                        + Math.abs(pixels[i + 1] - pixels[1])
                        + Math.abs(pixels[i + 2] - pixels[2]);
                    if (diff > 48) inked += 1;
                }
                return { colours: colours.size, inked: inked / (pixels.length / 4),
                         width: image.width, height: image.height,
                         corner: [pixels[0], pixels[1], pixels[2]] };
            }""",
            data,
        )
        return stats
    finally:
        page.close()
