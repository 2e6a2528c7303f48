"""A Flask app with the WSGI middleware, configured with one `configure()` call."""

from __future__ import annotations

import logging
import os

from flask import Flask, Response, stream_with_context

import observability
from observability.integrations.wsgi import RequestLogMiddleware

observability.configure(service=os.environ["APP_SERVICE"])
log = observability.get_logger("app")
app = Flask(__name__)
app.wsgi_app = RequestLogMiddleware(app.wsgi_app)  # type: ignore[method-assign]


@app.get("/orders/<int:n>")
def order(n: int) -> dict[str, int]:
    """Log inside the request."""
    log.info("order looked up", order=n)
    return {"n": n}


@app.get("/stream")
def stream() -> Response:
    """A streamed body: lines logged while the server iterates it keep the request's ids."""

    def chunks() -> object:
        for n in range(3):
            log.info("chunk sent", chunk=n)
            yield f"{n}\n"

    return Response(stream_with_context(chunks()), mimetype="text/plain")


@app.get("/thirdparty")
def thirdparty() -> dict[str, bool]:
    """A library's warning through the stdlib."""
    logging.getLogger("botocore.retries").warning("throttled, retrying")
    return {"ok": True}


@app.get("/missing")
def missing() -> tuple[str, int]:
    """A 404 answered by the app."""
    return "no such order", 404
