"""One evaluation pass: run the due rule groups, store what changed, notify what is due.

`AlertEvaluator.evaluate(now)` is the unit the worker (one task per rule group on its
interval, `job.py`), the Lambda (`lambdas/alerts_eval`) and `observability alerts eval`
call. Per rule group it first claims the group for this interval with a conditional write
of its marker (`keys.alert_group_key`), so two evaluators never evaluate a group twice in
one interval; then per rule it runs the source, steps each alert's state machine
(`rules.py`), explains alerts that start firing (`explain.py`), writes each changed alert
with a conditional write (`state.py`) and each transition as a row of the `alerts` table
(`history.py`). A rule whose source fails raises its `error` alert, to the pipeline's
receiver; it never fails the pass. Then `Dispatcher` sends what is due.

`dry_run` changes nothing in the store and sends nothing: it reports what would change
and what would be sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson

from observability.alerting.config import AlertsConfig, Rule, RuleGroup
from observability.alerting.explain import Explainer
from observability.alerting.history import Transition, write_transitions
from observability.alerting.model import AlertState, Notifier
from observability.alerting.notify import Dispatcher, DispatchResult
from observability.alerting.observe import Observed, Observer, observe_all
from observability.alerting.rules import (
    AlertRecord,
)
from observability.alerting.silences import SilenceStore
from observability.alerting.state import StateStore, Stored
from observability.alerting.transitions import plan
from observability.core import keys
from observability.core.links import Links
from observability.core.metrics import Metrics
from observability.core.times import format_instant
from observability.query.base import QueryEngine
from observability.store.base import ObjectStore

if TYPE_CHECKING:
    from observability.runtime import Runtime

log = logging.getLogger(__name__)

#: A resolved alert's record is kept this long (the alerts page shows it), then removed.
RESOLVED_RETENTION: Final = timedelta(days=7)
#: Clock jitter tolerated when deciding whether a group's interval has passed.
_INTERVAL_SLACK: Final = timedelta(seconds=30)

RuleStatus = Literal["ok", "nodata", "error"]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """How one rule's evaluation went."""

    rule: str
    group: str
    status: RuleStatus
    samples: int
    breached: int
    seconds: float
    bytes_scanned: int = 0
    read_prefixes: tuple[str, ...] = ()
    error: str | None = None


@dataclass(slots=True)
class EvalResult:
    """What one pass did: groups evaluated or skipped, rules, transitions, deliveries."""

    now: datetime
    dry_run: bool
    evaluated: list[str] = field(default_factory=list)
    #: Group -> why it was not evaluated (not due, evaluated by another evaluator).
    skipped: dict[str, str] = field(default_factory=dict)
    rules: list[RuleOutcome] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    dispatch: DispatchResult = field(default_factory=DispatchResult)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (the Lambda's response, `alerts eval --format json`)."""
        return {
            "now": format_instant(self.now),
            "dry_run": self.dry_run,
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "rules": {
                status: sorted(r.rule for r in self.rules if r.status == status)
                for status in ("ok", "nodata", "error")
            },
            "transitions": [str(t) for t in self.transitions],
            "notifications": [str(d) for d in self.dispatch.deliveries],
            "muted": [f"{m.fingerprint}: {m.reason}" for m in self.dispatch.muted],
        }


class AlertEvaluator:
    """Evaluates the rules of one alerts.yaml against one store."""

    def __init__(
        self,
        config: AlertsConfig,
        store: ObjectStore,
        *,
        engine: Callable[[], QueryEngine],
        user_engine: Callable[[], QueryEngine] | None = None,
        notifiers: Mapping[str, Notifier],
        links: Links,
        holder: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.store = store
        self.state = StateStore(store)
        self.silences = SilenceStore(store)
        self.links = links
        self.holder = holder
        self._engine = engine
        self._user_engine = user_engine or engine
        self.explainer = Explainer(engine, links)
        self.dispatcher = Dispatcher(
            store, config, notifiers, external_url=links.alerts_view(), holder=holder
        )

    @classmethod
    def from_runtime(
        cls,
        runtime: Runtime,
        config: AlertsConfig,
        *,
        notifiers: Mapping[str, Notifier] | None = None,
        holder: str | None = None,
    ) -> AlertEvaluator:
        """An evaluator with the runtime's store, engines, links and AWS clients."""
        from observability.alerting.receivers import build_notifiers
        from observability.worker.runs import worker_id

        user: list[QueryEngine] = []
        lock = threading.Lock()

        def user_engine() -> QueryEngine:
            """User SQL: a capped query process per query on DuckDB; Athena as it is."""
            if runtime.settings.query_engine == "athena":
                return runtime.query_engine()
            with lock:
                if not user:
                    from observability.query.factory import open_user_engine

                    settings, store = runtime.settings, runtime.store
                    user.append(open_user_engine(settings, store, runtime.aws.session))
                return user[0]

        return cls(
            config,
            runtime.store,
            engine=runtime.query_engine,
            user_engine=user_engine,
            notifiers=notifiers
            if notifiers is not None
            else build_notifiers(config.receivers, runtime.aws),
            links=runtime.links,
            holder=holder or worker_id(),
            metrics=runtime.metrics,
        )

    # --- the pass -------------------------------------------------------------------

    def evaluate(
        self,
        now: datetime,
        *,
        groups: Sequence[str] | None = None,
        force: bool = False,
        dry_run: bool = False,
        notify: bool = True,
    ) -> EvalResult:
        """Evaluate the named groups (default: every group whose interval has passed;
        `force`: every one), then send the notifications that are due."""
        now = now.astimezone(UTC)
        result = EvalResult(now, dry_run)
        chosen = [self.config.group(name) for name in groups] if groups else self.config.groups
        stored = self.state.load()
        self.explainer.begin_pass()
        observer = Observer(self.store, self._engine, self._user_engine, now)
        for group in chosen:
            why = None if force or dry_run else self._claim(group, now)
            if why is not None:
                result.skipped[group.name] = why
                continue
            result.evaluated.append(group.name)
            for observed in observe_all(observer, group.rules):
                self._rule(observed, stored, now, result)
        if result.evaluated:
            self._orphans(stored, now, result)
        if result.transitions and not dry_run:
            write_transitions(self.store, result.transitions, self.holder, now)
        if not dry_run:
            self._count(stored)
        if notify:
            result.dispatch = self.notify(now, dry_run=dry_run, stored=stored if dry_run else None)
        return result

    def notify(
        self, now: datetime, *, dry_run: bool = False, stored: Mapping[str, Stored] | None = None
    ) -> DispatchResult:
        """Send the notifications due now, from the stored state (or a dry run's view)."""
        current = stored if stored is not None else self.state.load()
        records = [entry.record for entry in current.values()]
        if not dry_run:
            self.silences.prune(now)
        return self.dispatcher.dispatch(
            records, self.silences.active(now), now.astimezone(UTC), dry_run=dry_run
        )

    def _orphans(self, stored: dict[str, Stored], now: datetime, result: EvalResult) -> None:
        """Alerts of rules no longer in alerts.yaml resolve (as Alertmanager's do when their
        rule stops sending them), so nothing fires forever after a rule is removed."""
        names = {rule.name for rule in self.config.rules}
        for entry in list(stored.values()):
            record = entry.record
            if record.rule in names:
                continue
            if record.state is AlertState.RESOLVED:
                if _expired(record, now) and not result.dry_run and self.state.remove(entry):
                    stored.pop(record.fingerprint, None)
                continue
            if record.state is AlertState.PENDING:
                resolved = None
            else:
                resolved = record.replace(state=AlertState.RESOLVED, resolved_at=now)
            if self._store(entry, resolved, stored, dry_run=result.dry_run):
                after = AlertState.INACTIVE if resolved is None else AlertState.RESOLVED
                shown = resolved if resolved is not None else record
                result.transitions.append(Transition(now, record.state, after, shown))

    def _count(self, stored: Mapping[str, Stored]) -> None:
        """`observability_alerts{state}`: the stored alerts by state, after this pass."""
        if self.metrics is None:
            return
        counts = dict.fromkeys(AlertState, 0)
        for entry in stored.values():
            counts[entry.record.state] += 1
        for state, count in counts.items():
            self.metrics.alerts.labels(state=state.value).set(count)

    def _claim(self, group: RuleGroup, now: datetime) -> str | None:
        """None when this evaluator may evaluate the group now; else why not."""
        key = keys.alert_group_key(group.name)
        marker = orjson.dumps({"evaluated_at": format_instant(now), "by": self.holder})
        try:
            data, etag = self.store.get_versioned(key)
        except KeyError:
            return None if self.store.put_if_absent(key, marker) else "evaluated by another"
        try:
            body = orjson.loads(data)
            last = datetime.fromisoformat(body["evaluated_at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            last = None
        if last is not None and now - last < group.interval - _INTERVAL_SLACK:
            return f"not due: evaluated at {format_instant(last)} by {body.get('by', '?')}"
        if self.store.put_if_match(key, marker, etag) is None:
            return "evaluated by another"
        return None

    # --- one rule -------------------------------------------------------------------

    def _rule(
        self, observed: Observed, stored: dict[str, Stored], now: datetime, result: EvalResult
    ) -> None:
        started = time.perf_counter()
        rule, observation, error = observed.rule, observed.observation, observed.error
        planned = plan(observed, stored, self.links, now)
        nodata = planned.nodata
        window = observation.window if observation is not None else None
        for previous, record in planned.changes:
            self._apply(
                rule, previous, record, window=window, stored=stored, now=now, result=result
            )
        samples = observation.samples if observation is not None else []
        status: RuleStatus = "error" if error is not None else "nodata" if nodata else "ok"
        result.rules.append(
            RuleOutcome(
                rule=rule.name,
                group=rule.group,
                status=status,
                samples=len(samples),
                breached=sum(1 for s in samples if s.breached),
                seconds=observed.seconds + time.perf_counter() - started,
                bytes_scanned=observation.bytes_scanned if observation is not None else 0,
                read_prefixes=tuple(sorted(observation.read_prefixes)) if observation else (),
                error=error,
            )
        )

    def _apply(
        self,
        rule: Rule,
        previous: Stored | None,
        record: AlertRecord | None,
        *,
        window: tuple[datetime, datetime] | None,
        stored: dict[str, Stored],
        now: datetime,
        result: EvalResult,
    ) -> None:
        """Store one alert's next state (conditionally) and note its transition."""
        before = previous.record if previous is not None else None
        if record == before:
            if previous is not None and _expired(previous.record, now) and not result.dry_run:
                self.state.remove(previous)
                stored.pop(previous.record.fingerprint, None)
            return
        old_state = before.state if before is not None else AlertState.INACTIVE
        new_state = record.state if record is not None else AlertState.INACTIVE
        starts_firing = new_state is AlertState.FIRING and old_state is not AlertState.FIRING
        if record is not None and starts_firing and window is not None:
            context, links = self.explainer.explain(rule, record, window, now)
            record = record.replace(
                context={**record.context, **context}, links={**record.links, **links}
            )
        if not self._store(previous, record, stored, dry_run=result.dry_run):
            return  # another evaluator changed it first: its transition, not ours
        if old_state is not new_state:
            shown = record if record is not None else before
            assert shown is not None
            result.transitions.append(Transition(now, old_state, new_state, shown))

    def _store(
        self,
        previous: Stored | None,
        record: AlertRecord | None,
        stored: dict[str, Stored],
        *,
        dry_run: bool,
    ) -> bool:
        """Write (or remove) the alert unless another evaluator changed it since it was read;
        a dry run only updates its own view."""
        if record is None:
            assert previous is not None
            if not dry_run and not self.state.remove(previous):
                return False
            stored.pop(previous.record.fingerprint, None)
            return True
        etag = "" if dry_run else self.state.save(record, previous)
        if etag is None:
            return False
        stored[record.fingerprint] = Stored(record, etag)
        return True


def _expired(record: AlertRecord, now: datetime) -> bool:
    return (
        record.state is AlertState.RESOLVED
        and record.resolved_at is not None
        and now - record.resolved_at > RESOLVED_RETENTION
    )
