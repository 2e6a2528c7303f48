"""A drift alert on data with an injected shift, end to end: the real drift job writes
`drift_metrics`, the alert names exactly the shifted features with their evidence, and its
log link, run through the search service, returns that window's logs of that model."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import orjson
import pytest

from observability.alerting.channels.memory import MemoryNotifier
from observability.alerting.config import parse_alerts
from observability.alerting.evaluator import AlertEvaluator
from observability.alerting.model import AlertState
from observability.analyze.job import DriftJob
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.search.request import SearchRequest
from tests.alerting.conftest import log, write
from tests.analyze.generated import SHIFT_HOUR, SHIFTED, START, frame, model_config

pytestmark = pytest.mark.slow

WINDOW_START = START + timedelta(hours=SHIFT_HOUR)
WINDOW_END = WINDOW_START + timedelta(hours=1)
RULES = {
    "groups": [
        {
            "name": "ml",
            "interval": "5m",
            "rules": [
                {
                    "name": "gen-drift",
                    "source": {"drift": {"model": "gen", "measure": "share_drifted"}},
                    "condition": {"op": ">", "threshold": 0.2},
                    "severity": "critical",
                    "annotations": {
                        "summary": "{{ $labels.model }}: {{ $value | percent }} drifted"
                    },
                    "runbook_url": "https://runbooks.test/drift",
                }
            ],
        }
    ],
    "route": {"receiver": "ml", "group_by": ["alertname", "model"]},
    "receivers": [{"name": "ml", "memory": {}}],
}


def _predictions(rows: Any, start: Any, version: str) -> list[dict[str, Any]]:
    """Prediction records of the generated model, called by two services."""
    records = []
    for i, row in enumerate(rows.to_dict("records")):
        features = {k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
        prediction = "yes" if features.pop("prediction") else "no"
        features.pop("target")
        records.append(
            {
                "kind": "prediction",
                "timestamp": (start + timedelta(seconds=i % 3600)).isoformat(),
                "model": "gen",
                "model_version": version,
                "service": "checkout" if i % 3 else "payments",
                "prediction_id": f"{version}-{start:%H}-{i}",
                "features": features,
                "prediction": prediction,
            }
        )
    return records


def test_a_drift_alert_names_the_shifted_features_and_links_that_windows_logs(
    tmp_path: Path,
) -> None:
    """Exactly the shifted features, with score, threshold and row counts; the report, the
    accuracy, the callers' error rates; the log link finds the window's logs of the model."""
    settings = Settings.from_env(
        {}, store_url=(tmp_path / "store").as_uri(), state_dir=tmp_path / "state"
    )
    runtime = Runtime(settings)
    store = runtime.store
    rng = np.random.default_rng(11)
    reference = tmp_path / "reference.parquet"
    frame(rng, 5000, shifted=False).to_parquet(reference)
    current = _predictions(frame(rng, 2500, shifted=True), WINDOW_START, "v2")
    write(store, current, Kind.PREDICTION)
    labels = [
        {
            "kind": "label",
            "timestamp": (WINDOW_END + timedelta(minutes=5)).isoformat(),
            "model": "gen",
            "prediction_id": record["prediction_id"],
            "label": record["prediction"]
            if i % 4
            else {"yes": "no", "no": "yes"}[record["prediction"]],
        }
        for i, record in enumerate(current[:400])
    ]
    write(store, labels, Kind.LABEL)
    inside = [
        log(
            "checkout",
            WINDOW_START + timedelta(minutes=m),
            event="scored",
            model="gen",
            model_version="v2",
        )
        for m in (1, 20, 59)
    ]
    others = [
        log(
            "checkout",
            WINDOW_START - timedelta(minutes=5),
            event="scored",
            model="gen",
            model_version="v2",
        ),
        log(
            "checkout",
            WINDOW_START + timedelta(minutes=2),
            event="scored",
            model="other",
            model_version="v2",
        ),
        log(
            "checkout",
            WINDOW_START + timedelta(minutes=3),
            event="scored",
            model="gen",
            model_version="v1",
        ),
    ]
    errors = [
        log(
            "checkout",
            WINDOW_START + timedelta(minutes=m),
            level="error",
            event="card declined",
            trace_id=f"t{m}",
        )
        for m in range(4)
    ]
    write(store, [*inside, *others, *errors], Kind.LOG)
    job = DriftJob(
        store,
        runtime.query_engine(),
        {"gen": model_config(reference={"path": str(reference)})},
        clock=lambda: WINDOW_END,
    )
    assert sorted(job.run("gen", WINDOW_START, WINDOW_END).drifted) == sorted(SHIFTED)

    notifier = MemoryNotifier("ml")
    evaluator = AlertEvaluator.from_runtime(
        runtime, parse_alerts(orjson.dumps(RULES).decode()), notifiers={"ml": notifier}
    )
    now = WINDOW_END + timedelta(minutes=10)
    (fired,) = evaluator.evaluate(now).transitions
    evaluator.evaluate(now + timedelta(minutes=5))
    (sent,) = notifier.delivered
    alert = sent.alerts[0]
    assert fired.after is AlertState.FIRING and alert.state is AlertState.FIRING
    drifted = alert.context["drifted_features"]
    assert [f["feature"] for f in drifted] == sorted(SHIFTED)  # type: ignore[union-attr]
    for feature in drifted:  # type: ignore[union-attr]
        assert feature["score"] is not None and feature["threshold"] is not None
        assert feature["n_reference"] == 5000 and feature["n_current"] == 2500
    assert alert.value == pytest.approx(3 / 8)
    assert alert.annotations["summary"] == "gen: 37.5% drifted"
    report = alert.context["report_id"]
    assert alert.links["report"] == f"http://127.0.0.1:8000/reports/{report}"
    assert alert.links["report_html"].endswith(f"/api/v1/reports/{report}/html")
    assert alert.links["runbook"] == "https://runbooks.test/drift"
    assert alert.context["labelled"] == 400
    assert alert.context["accuracy"] == pytest.approx(0.75)
    assert alert.context["callers"] == {"checkout": 1666, "payments": 834}
    assert alert.context["model_versions"] == ["v2"]
    rates = alert.context["caller_error_rates"]
    # checkout logged 9 records in the window (3 + 2 of other models or versions + 4 errors)
    assert rates == {"checkout": pytest.approx(4 / 9)}  # type: ignore[comparison-overlap]

    query = parse_qs(urlsplit(alert.links["logs"]).query)
    request = SearchRequest.build(
        query["q"][0], since=query["since"][0], until=query["until"][0], size=100
    )
    hits = runtime.search_backend().search(request).hits
    assert sorted(hit["record_id"] for hit in hits) == sorted(r["record_id"] for r in inside)
    runtime.close()
