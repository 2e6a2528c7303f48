"""A FastAPI app set up the README's way: one `configure()` call, the middleware, routes.

Everything but the service comes from `OBSERVABILITY_*` variables (the tests point the
HTTP sink at a real collector). `APP_MIDDLEWARE=0` leaves the middleware out, so
uvicorn's own access lines are what is bridged.
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

import observability
from observability.integrations.asgi import RequestLogMiddleware

observability.configure(service=os.environ["APP_SERVICE"])
log = observability.get_logger("app")
app = FastAPI()
if os.environ.get("APP_MIDDLEWARE", "1") == "1":
    app.add_middleware(RequestLogMiddleware)


@app.get("/orders/{n}")
async def order(n: int) -> dict[str, int]:
    """Log from the event loop's thread."""
    log.info("order looked up", order=n)
    return {"n": n}


@app.get("/sync/{n}")
def order_sync(n: int) -> dict[str, int]:
    """Log from a thread of the server's pool."""
    log.info("order looked up", order=n)
    return {"n": n}


@app.get("/thirdparty")
def thirdparty() -> dict[str, bool]:
    """A library's warning and exception, through the stdlib."""
    library = logging.getLogger("urllib3.connectionpool")
    library.warning("Retrying (%s) after connection broken", "Retry(total=2)")
    try:
        raise ConnectionResetError("peer reset")
    except ConnectionResetError:
        library.exception("request failed")
    return {"ok": True}


@app.get("/boom")
async def boom() -> None:
    """An unhandled exception: uvicorn answers 500 and logs it."""
    raise RuntimeError("boom")
