"""`observability demo`: the whole local pipeline in a few seconds, on loopback only.

It starts the collector in-process on a free 127.0.0.1 port, sends a few minutes' worth
of logs (checkout, payments, search), predictions (a fraud classifier and a price
regressor) and labels through the SDK and its HTTP sink, plus two deliberately broken
lines from a "foreign producer" so `errors/` has something to show. Then it flushes,
stops the collector (which writes its buffers), compacts the hours it touched and
reports where every record landed, checking the counts against what it emitted.

Prediction and label times are spread over the last `minutes` (the SDK takes an explicit
timestamp for those); log records carry the time they were emitted, as the SDK stamps them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from rich.console import Group
from rich.table import Table
from rich.text import Text

from observability.core import keys
from observability.core.errors import ObservabilityError
from observability.core.metrics import Metrics
from observability.core.partitioning import parse_prefix
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.demo.sample import (
    CITIES,
    COUNTRIES,
    FRAUD_MODEL,
    PRICE_MODEL,
    ROUTES,
    SERVICES,
    UPSTREAMS,
)
from observability.demo.stack import loopback_socket, running_app
from observability.runtime import Runtime
from observability.store.base import ObjectStore
from observability.store.compaction import CompactionResult, Compactor
from observability.store.files import decode_lines

#: Lines a foreign producer gets wrong; the collector must refuse them into errors/.
BAD_LINES: Final = (
    b'{"level": "info", "event": "truncated',
    b'{"timestamp": "2026-01-01T00:00:00"}',
)


@dataclass(frozen=True, slots=True)
class Landed:
    """One partition directory of the store and what it holds."""

    prefix: str
    files: int
    records: int


@dataclass
class DemoReport:
    """What the demo emitted and where it ended up."""

    store_url: str
    emitted: Counter[str] = field(default_factory=Counter)
    landed: list[Landed] = field(default_factory=list)
    compacted: list[CompactionResult] = field(default_factory=list)
    errors: int = 0
    expected_errors: int = len(BAD_LINES)
    delivered: bool = True

    def landed_by_kind(self) -> Counter[str]:
        """Records found in the store's raw partitions, per kind."""
        counts: Counter[str] = Counter()
        for row in self.landed:
            counts[parse_prefix(row.prefix).kind.plural] += row.records
        return counts

    @property
    def complete(self) -> bool:
        """Everything emitted is stored, once, and only the broken lines were refused."""
        compacted = sum(result.rows for result in self.compacted)
        return (
            self.delivered
            and self.landed_by_kind() == self.emitted
            and compacted == sum(self.emitted.values())
            and self.errors == self.expected_errors
        )


def run_demo(
    runtime: Runtime,
    *,
    minutes: float = 5.0,
    seed: int = 7,
    on_step: Callable[[str], None] | None = None,
) -> DemoReport:
    """Run the demo against the runtime's store; `settings.state_dir` holds the journal and
    spill."""
    step = on_step or (lambda _message: None)
    settings, store, metrics = runtime.settings, runtime.store, runtime.metrics
    report = DemoReport(store.url)
    now = datetime.now(UTC)
    start = now - timedelta(minutes=minutes)
    step("starting the collector on 127.0.0.1")
    with running_collector(runtime) as url:
        step(f"collector at {url}; emitting through the SDK")
        target = settings.replace(collector_url=url, sink="http")
        report.delivered = _emit(target, metrics, report, random.Random(seed), (start, now))  # noqa: S311 (sample data)
        step("sending two broken lines as a foreign producer would")
        _post_bad_lines(url, settings.api_key)
        step("stopping the collector (it writes its buffers)")
    step("compacting the hours the demo touched")
    compactor = Compactor(store, metrics)
    for partition, sources in compactor.find(list(Kind), start.replace(minute=0)).items():
        report.compacted.append(compactor.compact(partition, sources))
    report.landed = landed(store)
    report.errors = sum(_count_lines(store, key) for key in store.list(keys.ERRORS))
    return report


@contextmanager
def running_collector(runtime: Runtime) -> Iterator[str]:
    """The collector app under uvicorn in a thread; stopping it runs its shutdown flush."""
    from observability.service.app import create_app
    from observability.service.roles import Role

    app = create_app(runtime, frozenset({Role.COLLECTOR}))
    with running_app(app, loopback_socket(), name="demo-collector") as url:
        yield url


def _emit(
    settings: Settings,
    metrics: Metrics,
    report: DemoReport,
    rng: random.Random,
    window: tuple[datetime, datetime],
) -> bool:
    """Drive the SDK as three services would; returns whether the sink delivered it all."""
    import observability.emit as sdk
    from observability.transport.factory import build_line_sink

    start, end = window
    sink = build_line_sink(settings, None, metrics)
    span = (end - start).total_seconds()

    def moment() -> datetime:
        return start + timedelta(seconds=rng.uniform(0, span))

    for service in SERVICES:
        sdk.configure(service=service, env="demo", sink=sink, version="1.4.2", host=f"{service}-1")
        log = sdk.get_logger(f"{service}.http")
        for request in range(rng.randint(350, 450)):
            report.emitted["logs"] += _request_logs(log, rng, service, request)
        if service == "payments":
            _predict_fraud(sdk, rng, moment, end, report)
        if service == "search":
            _predict_prices(sdk, rng, moment, end, report)
    return bool(sdk.shutdown(timeout=30))


def _request_logs(log: Any, rng: random.Random, service: str, request: int) -> int:
    """One request's log lines; returns how many records it wrote."""
    import observability.emit as sdk

    trace_id = f"{rng.getrandbits(128):032x}"
    path = rng.choice(ROUTES[service])
    latency = round(rng.lognormvariate(3.2, 0.6), 2)
    with sdk.bound_context(trace_id=trace_id, request_id=f"req-{request:05d}"):
        roll = rng.random()
        if roll < 0.05:
            try:
                raise TimeoutError(f"upstream {rng.choice(UPSTREAMS)} timed out after 2000 ms")
            except TimeoutError:
                log.exception("request failed", path=path, status=504, latency_ms=2000.0)
            return 1
        if roll < 0.15:
            log.warning("slow request", path=path, status=200, latency_ms=latency * 8)
            log.info("request handled", path=path, status=200, latency_ms=latency * 8)
            return 2
        log.info(
            "request handled",
            path=path,
            status=rng.choice((200, 200, 201, 404)),
            latency_ms=latency,
        )
        return 1


def _predict_fraud(
    sdk: Any, rng: random.Random, moment: Callable[[], datetime], end: datetime, report: DemoReport
) -> None:
    for _ in range(rng.randint(250, 300)):
        amount = round(rng.lognormvariate(4, 1), 2)
        fraud = min(0.99, max(0.01, rng.betavariate(1.2, 12) + (0.3 if amount > 400 else 0.0)))
        at = moment()
        prediction_id = sdk.log_prediction(
            model=FRAUD_MODEL,
            model_version="2026.11.1",
            features={
                "amount": amount,
                "country": rng.choice(COUNTRIES),
                "card_present": rng.random() < 0.6,
                "account_age_days": rng.randint(0, 3000),
                "device_score": None if rng.random() < 0.1 else round(rng.random(), 3),
            },
            prediction={"fraud": round(fraud, 4), "legit": round(1 - fraud, 4)},
            latency_ms=round(rng.uniform(2, 15), 2),
            timestamp=at,
        )
        report.emitted["predictions"] += 1
        if rng.random() < 0.6:
            label = "fraud" if rng.random() < fraud else "legit"
            later = min(end, at + timedelta(seconds=rng.uniform(5, 90)))
            sdk.log_label(
                prediction_id=prediction_id, label=label, model=FRAUD_MODEL, timestamp=later
            )
            report.emitted["labels"] += 1


def _predict_prices(
    sdk: Any, rng: random.Random, moment: Callable[[], datetime], end: datetime, report: DemoReport
) -> None:
    for _ in range(rng.randint(200, 250)):
        area = rng.randint(30, 200)
        price = round(area * rng.uniform(2500, 6000), 0)
        at = moment()
        prediction_id = sdk.log_prediction(
            model=PRICE_MODEL,
            model_version="0.9.3",
            features={"area_m2": area, "rooms": max(1, area // 30), "city": rng.choice(CITIES)},
            prediction=price,
            latency_ms=round(rng.uniform(5, 40), 2),
            timestamp=at,
        )
        report.emitted["predictions"] += 1
        if rng.random() < 0.3:
            later = min(end, at + timedelta(seconds=rng.uniform(10, 120)))
            actual = round(price * rng.uniform(0.85, 1.15), 0)
            sdk.log_label(
                prediction_id=prediction_id, label=actual, model=PRICE_MODEL, timestamp=later
            )
            report.emitted["labels"] += 1


def _post_bad_lines(url: str, api_key: str | None) -> None:
    import httpx

    from observability.core.credentials import auth_headers

    response = httpx.post(
        f"{url}/api/v1/ingest/logs",
        content=b"\n".join(BAD_LINES),
        headers=auth_headers(api_key),
        timeout=30,
    )
    body = orjson.loads(response.content)
    if response.status_code != 200 or len(body.get("rejected", [])) != len(BAD_LINES):
        raise ObservabilityError(f"the collector answered {response.status_code}: {body}")


def landed(store: ObjectStore) -> list[Landed]:
    """Files and records per raw partition directory (not `compacted/` or `errors/`)."""
    files: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for kind in Kind:
        for key in store.list(keys.kind_prefix(kind)):
            prefix = key.rpartition("/")[0] + "/"
            files[prefix] += 1
            records[prefix] += _count_lines(store, key)
    return [Landed(prefix, files[prefix], records[prefix]) for prefix in sorted(files)]


def _count_lines(store: ObjectStore, key: str) -> int:
    return sum(1 for _ in decode_lines(store.get(key)))


def render_report(report: DemoReport) -> Group:
    """Where the records landed, per partition, and how that compares with what was sent."""
    compacted = {result.partition.prefix: result.rows for result in report.compacted}
    table = Table(title=f"records in {report.store_url}")
    table.add_column("partition", overflow="fold")
    table.add_column("files", justify="right")
    table.add_column("records", justify="right")
    table.add_column("compacted rows", justify="right")
    for row in report.landed:
        rows = compacted.get(row.prefix)
        table.add_row(
            row.prefix, str(row.files), str(row.records), "-" if rows is None else str(rows)
        )
    totals = Table(title="emitted vs stored")
    for name in ("kind", "emitted", "stored"):
        totals.add_column(name, justify="left" if name == "kind" else "right")
    stored = report.landed_by_kind()
    for kind in Kind:
        totals.add_row(kind.plural, str(report.emitted[kind.plural]), str(stored[kind.plural]))
    totals.add_row(keys.ERRORS, str(report.expected_errors), str(report.errors))
    verdict = "[green]every record accounted for[/]" if report.complete else "[red]MISMATCH[/]"
    return Group(table, totals, Text.from_markup(verdict))
