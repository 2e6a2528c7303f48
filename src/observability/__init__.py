"""observability: structured logs, predictions and drift, from SDK to S3, Athena and OpenSearch.

The SDK is re-exported here::

    import observability

    observability.configure(service="checkout", env="prod", sink=sink)
    log = observability.get_logger(__name__)
    log.info("order placed", order_id=42)
"""

from observability.emit import (
    MemoryLineSink,
    bind_context,
    bound_context,
    configure,
    current_context,
    flush,
    get_logger,
    log_label,
    log_prediction,
    reset_context,
    shutdown,
)

__all__ = [
    "MemoryLineSink",
    "bind_context",
    "bound_context",
    "configure",
    "current_context",
    "flush",
    "get_logger",
    "log_label",
    "log_prediction",
    "reset_context",
    "shutdown",
]
