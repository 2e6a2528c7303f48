"""Firehose data-transformation Lambda: `handler(event, context)`.

Thin on purpose: settings, clients, the store and the metrics are built once per cold
start, from the environment, on the first call (never at import); the work is
`observability.transform.firehose_app.FirehoseTransformer`, which tests run directly.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import Any

from observability.runtime import Runtime
from observability.transform.firehose_app import FirehoseTransformer, transformer_from


def build(environ: Mapping[str, str]) -> FirehoseTransformer:
    """Compose the transformer from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    logging.getLogger("observability").setLevel(runtime.settings.log_level.upper())
    # The runtime's own registry: Lambda has no scrape endpoint; the counts are in the log line.
    return transformer_from(runtime)


@functools.cache
def _transformer() -> FirehoseTransformer:
    return build(os.environ)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point: the Firehose transformation response for `event`."""
    return _transformer().handle(event)
