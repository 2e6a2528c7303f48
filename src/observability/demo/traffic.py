"""One sample service of the live demo, run as its own process (`python -m
observability.demo.traffic PLAN_JSON`): the SDK configured for that service, its HTTP sink
pointed at the demo's collector, requests logged as they happen.

`payments` also scores card payments with the fraud classifier and `search` prices
listings with the regressor; their labels (a chargeback, a sale) arrive 10 to 60 seconds
after the prediction. At `release_at` a bad release goes out: checkout's calls to payments
start timing out (an error spike), payments answers slowly, and both models' inputs drift.
The incident ends at `recovered_at`; the drift stays, as a broken feature pipeline's would.
SIGTERM and SIGINT stop the loop; the sink is flushed before the process exits.
"""

from __future__ import annotations

import heapq
import os
import random
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from observability.demo import sample

#: Requests per second each service sees.
REQUEST_RATE: Final = {"checkout": 12.0, "payments": 10.0, "search": 12.0}
#: Share of payments that are scored, and of searches that price a listing.
PREDICTION_SHARE: Final = {"payments": 0.8, "search": 0.6}
LABEL_SHARE: Final = {sample.FRAUD_MODEL: 0.6, sample.PRICE_MODEL: 0.4}
LABEL_DELAY_SECONDS: Final = (10.0, 60.0)
TICK_SECONDS: Final = 0.2
MODEL_VERSIONS: Final = {
    sample.FRAUD_MODEL: ("2026.11.1", "2026.12.1"),
    sample.PRICE_MODEL: ("0.9.3", "0.10.0"),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What one traffic process does, in epoch seconds."""

    service: str
    collector_url: str
    #: Where the SDK may spill what it cannot deliver (inside the demo's directory).
    state_dir: str
    seed: int
    release_at: float
    recovered_at: float
    until: float

    def to_json(self) -> str:
        """The command-line argument."""
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Inverse of `to_json`; ValueError naming what is wrong."""
        raw = orjson.loads(text)
        if not isinstance(raw, dict) or raw.get("service") not in sample.SERVICES:
            raise ValueError(f"a plan names one of {', '.join(sample.SERVICES)}")
        return cls(
            str(raw["service"]),
            str(raw["collector_url"]),
            str(raw["state_dir"]),
            int(raw["seed"]),
            float(raw["release_at"]),
            float(raw["recovered_at"]),
            float(raw["until"]),
        )


class Service:
    """One service's requests, predictions and late labels."""

    def __init__(self, plan: Plan, sdk: Any) -> None:
        self.plan = plan
        self.sdk = sdk
        self.rng = random.Random(plan.seed)  # noqa: S311 (sample data)
        self.log = sdk.get_logger(f"{plan.service}.http")
        self.labels: list[tuple[float, str, str, object]] = []  # (due, id, model, label)
        self.requests = 0

    def tick(self, now: float) -> None:
        """The requests of one tick, then the labels that are due."""
        expected = REQUEST_RATE[self.plan.service] * TICK_SECONDS
        count = int(expected) + (self.rng.random() < expected - int(expected))
        released = now >= self.plan.release_at
        incident = released and now < self.plan.recovered_at
        for _ in range(count):
            self.request(incident)
            share = PREDICTION_SHARE.get(self.plan.service, 0.0)
            if share and self.rng.random() < share:
                self.predict(now, drifted=released)
        while self.labels and self.labels[0][0] <= now:
            _due, prediction_id, model, label = heapq.heappop(self.labels)
            self.sdk.log_label(prediction_id=prediction_id, label=label, model=model)

    def request(self, incident: bool) -> None:
        """One request's log line(s)."""
        rng, service = self.rng, self.plan.service
        self.requests += 1
        path = rng.choice(sample.ROUTES[service])
        latency = round(rng.lognormvariate(3.2, 0.6), 2)
        error_share = 0.01
        if incident and service == "checkout":
            error_share = 0.5  # its calls to payments time out
        elif incident and service == "payments":
            latency = round(latency * rng.uniform(40, 90), 2)  # slow, not failing
        context = {"trace_id": f"{rng.getrandbits(128):032x}"}
        context["request_id"] = f"req-{self.requests:07d}"
        with self.sdk.bound_context(**context):
            if rng.random() < error_share:
                upstream = "payments" if incident else rng.choice(sample.UPSTREAMS)
                try:
                    raise TimeoutError(f"upstream {upstream} timed out after 2000 ms")
                except TimeoutError:
                    self.log.exception("request failed", path=path, status=504, latency_ms=2000.0)
                return
            if latency > 500:
                self.log.warning("slow request", path=path, status=200, latency_ms=latency)
            status = rng.choice((200, 200, 200, 201, 404))
            self.log.info("request handled", path=path, status=status, latency_ms=latency)

    def predict(self, now: float, *, drifted: bool) -> None:
        """A prediction of the service's model; its label is queued to arrive later."""
        rng = self.rng
        model = sample.FRAUD_MODEL if self.plan.service == "payments" else sample.PRICE_MODEL
        version = MODEL_VERSIONS[model][int(drifted)]
        label: object
        if model == sample.FRAUD_MODEL:
            features = sample.fraud_features(rng, drifted=drifted)
            fraud = sample.fraud_probability(features, rng)
            prediction: object = {"fraud": round(fraud, 4), "legit": round(1 - fraud, 4)}
            label = sample.fraud_label(fraud, rng)
        else:
            features = sample.price_features(rng, drifted=drifted)
            estimate = sample.price_estimate(features, rng)
            prediction, label = estimate, sample.price_actual(estimate, rng)
        prediction_id = self.sdk.log_prediction(
            model=model,
            model_version=version,
            features=features,
            prediction=prediction,
            latency_ms=round(rng.uniform(2, 15), 2),
        )
        if rng.random() < LABEL_SHARE[model]:
            due = now + rng.uniform(*LABEL_DELAY_SECONDS)
            heapq.heappush(self.labels, (due, prediction_id, model, label))


def run(plan: Plan, stop: threading.Event) -> bool:
    """Emit until `plan.until` or `stop`; True when the sink delivered everything."""
    import observability.emit as sdk
    from observability.core.settings import Settings

    settings = Settings.from_env(
        os.environ, collector_url=plan.collector_url, sink="http", state_dir=Path(plan.state_dir)
    )
    sdk.configure(
        service=plan.service,
        env="demo",
        version="1.5.0",
        host=f"{plan.service}-1",
        settings=settings,
        exit_signals=False,  # this loop handles them and flushes
        capture_stdlib=False,
    )
    service = Service(plan, sdk)
    while not stop.is_set():
        now = time.time()
        if now >= plan.until:
            break
        service.tick(now)
        stop.wait(TICK_SECONDS)
    return bool(sdk.shutdown(timeout=15))


def main(argv: list[str]) -> int:
    """`python -m observability.demo.traffic PLAN_JSON`; 0 when all was delivered."""
    if len(argv) != 1:
        print("usage: python -m observability.demo.traffic PLAN_JSON", file=sys.stderr)
        return 2
    try:
        plan = Plan.from_json(argv[0])
    except (ValueError, KeyError, TypeError) as exc:
        print(f"error: bad plan: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    return 0 if run(plan, stop) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
