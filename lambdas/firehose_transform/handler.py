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

from prometheus_client import CollectorRegistry

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.store.errors import ErrorWriter
from observability.store.factory import open_store
from observability.transform.firehose_app import FirehoseTransformer, stream_kinds


def build(environ: Mapping[str, str]) -> FirehoseTransformer:
    """Compose the transformer from a mapping of `OBSERVABILITY_*` variables."""
    settings = Settings.from_env(environ)
    logging.getLogger("observability").setLevel(settings.log_level.upper())
    aws = AwsClients(settings)
    store = open_store(settings.store_url, aws)
    # A registry per process: Lambda has no scrape endpoint; the counts are in the log line.
    metrics = Metrics(CollectorRegistry())
    return FirehoseTransformer(ErrorWriter(store, metrics), metrics, stream_kinds(settings))


@functools.cache
def _transformer() -> FirehoseTransformer:
    return build(os.environ)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point: the Firehose transformation response for `event`."""
    return _transformer().handle(event)
