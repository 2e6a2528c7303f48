"""Partition registrar Lambda: `handler(event, context)` on S3 ObjectCreated notifications.

Thin on purpose: the registrar is built once per cold start from `OBSERVABILITY_*`
variables (never at import); the work is `observability.catalog.partitions`, which tests
run directly. A Glue failure raises, so S3's asynchronous invocation retries the event
(and then sends it to the function's failure destination); re-delivery is harmless.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from observability.catalog.partitions import PartitionRegistrar
from observability.runtime import Runtime

_log = logging.getLogger("observability.partition_registrar")


def build(environ: Mapping[str, str]) -> PartitionRegistrar:
    """Compose the registrar from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    settings = runtime.settings
    logging.getLogger("observability").setLevel(settings.log_level.upper())
    glue = runtime.aws.client("glue")
    return PartitionRegistrar(glue, settings.glue_database, settings.store_url)


@functools.cache
def _registrar() -> PartitionRegistrar:
    return build(os.environ)


def handler(event: dict[str, Any], context: object) -> dict[str, int]:
    """Lambda entry point: register the partitions of the event's new objects."""
    result = _registrar().handle_event(event)
    summary = result.summary()
    _log.info(json.dumps({"partitions": summary, "ignored_keys": result.ignored[:20]}))
    return summary
