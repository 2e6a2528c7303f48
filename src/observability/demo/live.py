"""`observability demo --live`: the local stack with live traffic, drift and alerts.

One server on 127.0.0.1 runs all three roles (collector, API with the UI, worker) on a
store in the demo's temporary directory. Three service processes (`traffic.py`) send logs,
predictions and late labels through the SDK; a quarter of the way in, a bad release starts
an incident (checkout errors, payments slow) and makes both models' inputs drift. The
worker runs the generated models.yaml (one-minute windows, every-minute cron) and
alerts.yaml (groups every minute, routing timers at their one-minute minimum); alerts are
delivered to a webhook receiver on 127.0.0.1 and printed as they arrive.

The product's timing is never bent: an alert needs its evaluation minute plus `group_wait`
(one minute), so the first alerts arrive one to two minutes after the release. Ctrl-C ends
the demo early and cleanly; `--summary FILE` writes what happened as JSON at exit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from observability.core.errors import ObservabilityError
from observability.core.settings import Settings
from observability.demo import configs, sample
from observability.demo.receiver import ReceivedAlert, webhook_receiver
from observability.demo.stack import LOOPBACK, loopback_socket, running_app, url_of
from observability.demo.traffic import Plan
from observability.runtime import Runtime

#: When the bad release goes out by default, as a share of the run, and how long the
#: incident lasts: a share of the run, at least long enough for its alerts to be sent.
RELEASE_SHARE: Final = 0.25
INCIDENT_SHARE: Final = 0.35
MIN_INCIDENT: Final = timedelta(minutes=2)
#: The collector writes its buffers this often, so rules see records within seconds.
BUFFER_SECONDS: Final = 2.0
_TRAFFIC_STOP_SECONDS: Final = 20.0
_REFRESH_SECONDS: Final = 0.5
_STYLES: Final = {"firing": "bold red", "resolved": "green"}


@dataclass
class LiveReport:
    """What the live demo saw; `to_json` is the `--summary` file."""

    ui_url: str = ""
    workdir: str = ""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    release_at: datetime | None = None
    recovered_at: datetime | None = None
    alerts: list[ReceivedAlert] = field(default_factory=list)
    ui_checks: list[dict[str, object]] = field(default_factory=list)
    traffic_exit_codes: dict[str, int | None] = field(default_factory=dict)
    interrupted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def firing(self, rule: str) -> list[ReceivedAlert]:
        """Firing alerts of one rule received so far."""
        with self.lock:
            return [a for a in self.alerts if a.name == rule and a.status == "firing"]

    def to_json(self) -> bytes:
        """The summary: alerts received, UI checks, the plan's times, how it ended."""
        with self.lock:
            alerts = [alert.to_json() for alert in self.alerts]
        times = {"release_at": self.release_at, "recovered_at": self.recovered_at}
        return orjson.dumps(
            {
                "ui_url": self.ui_url,
                "workdir": self.workdir,
                "started_at": self.started_at.isoformat(),
                **{k: v.isoformat() if v else None for k, v in times.items()},
                "alerts": alerts,
                "ui_checks": self.ui_checks,
                "traffic_exit_codes": self.traffic_exit_codes,
                "interrupted": self.interrupted,
            },
            option=orjson.OPT_INDENT_2,
        )


def run_live(
    settings: Settings,
    workdir: Path,
    console: Console,
    *,
    duration: timedelta,
    seed: int = 7,
    release_after: timedelta | None = None,
    summary: Path | None = None,
) -> LiveReport:
    """Run the stack, the traffic and the receiver for `duration` (or until Ctrl-C); the
    summary file, when asked for, is written however the run ends."""
    schedule = Schedule.starting_now(duration, release_after)
    demo = LiveDemo(settings, workdir, console, schedule, seed)
    try:
        demo.run()
    finally:
        if summary is not None:
            summary.write_bytes(demo.report.to_json())
    return demo.report


@dataclass(frozen=True, slots=True)
class Schedule:
    """The run's times, in epoch seconds: start, the release, the recovery, the end."""

    start: float
    release: float
    recovered: float
    until: float

    @classmethod
    def starting_now(cls, duration: timedelta, release_after: timedelta | None = None) -> Schedule:
        """The release `release_after` in (default: a quarter of the way), the recovery
        `INCIDENT_SHARE` of the run later (at least `MIN_INCIDENT`, at most the end)."""
        start, seconds = time.time(), duration.total_seconds()
        release = (
            seconds * RELEASE_SHARE if release_after is None else release_after.total_seconds()
        )
        incident = max(seconds * INCIDENT_SHARE, MIN_INCIDENT.total_seconds())
        recovered = min(seconds, release + incident)
        return cls(start, start + release, start + recovered, start + seconds)

    def phase(self, now: float) -> str:
        """What the traffic is doing at `now`, for the status line."""
        if now < self.release:
            return f"steady traffic; the release goes out in {self.release - now:.0f}s"
        if now < self.recovered:
            return "[red]incident[/]: checkout errors, payments slow, models drifting"
        return "recovered; the models' inputs still drift"


class LiveDemo:
    """One run: the configs, the stack, the receiver, the traffic, the status line."""

    def __init__(
        self, settings: Settings, workdir: Path, console: Console, schedule: Schedule, seed: int
    ) -> None:
        self.settings = settings
        self.workdir = workdir
        self.console = console
        self.schedule = schedule
        self.seed = seed
        self.report = LiveReport(workdir=str(workdir))
        self.report.release_at = datetime.fromtimestamp(schedule.release, UTC)
        self.report.recovered_at = datetime.fromtimestamp(schedule.recovered, UTC)
        self.pages: list[str] = []

    def run(self) -> None:
        """Everything, in order; each part is stopped however the run ends."""
        with warnings.catch_warnings():
            # scikit-learn, under Evidently's quality report, warns on every window with
            # one class or one label so far (labels arrive late): noise in a terminal demo.
            warnings.filterwarnings("ignore", module=r"sklearn\.metrics\.")
            self._run()

    def _run(self) -> None:
        from observability.service.app import create_app
        from observability.service.roles import ALL_ROLES

        with self.console.status("writing models.yaml, alerts.yaml and the references"):
            models = configs.write_models(self.workdir, self.seed)
            alerts = configs.write_alerts(self.workdir)
        sock = loopback_socket()
        base = url_of(sock)
        self.settings = self.settings.replace(
            state_dir=self.workdir / "state",
            host=LOOPBACK,
            port=sock.getsockname()[1],
            public_url=base,
            models_config=models,
            alerts_config=alerts,
            buffer_max_seconds=BUFFER_SECONDS,
            roles=tuple(sorted(ALL_ROLES)),
        )
        self.report.ui_url = f"{base}/"
        with contextlib.ExitStack() as stack:
            stack.callback(sock.close)  # also when the server never started
            hook = stack.enter_context(webhook_receiver(self.received))
            stack.enter_context(_environ(configs.WEBHOOK_URL_ENV, hook))
            runtime = stack.enter_context(Runtime(self.settings))
            with self.console.status("starting the collector, the API with the UI, the worker"):
                app = create_app(runtime, ALL_ROLES)
                stack.enter_context(running_app(app, sock, name="demo-stack"))
            stack.callback(self.console.print, "stopping the stack (the worker ends its job)")
            self.pages = [runtime.links.model_view(model) for model in sample.FEATURES]
            self._introduce(hook)
            self._drive()

    def received(self, alert: ReceivedAlert) -> None:
        """The receiver's callback: keep the alert and print it."""
        with self.report.lock:
            self.report.alerts.append(alert)
        _print_alert(self.console, alert)

    def _introduce(self, hook: str) -> None:
        """The UI's URL first, then where the rest is and what will happen when."""
        report, print_ = self.report, self.console.print
        print_(f"[bold]UI[/]        {report.ui_url}", soft_wrap=True)
        for page in self.pages:
            print_(f"model     {page}", soft_wrap=True)
        print_(f"webhook   {hook} (alerts print here as they arrive)", soft_wrap=True)
        print_(f"workdir   {self.workdir}", soft_wrap=True)
        assert report.release_at is not None and report.recovered_at is not None
        print_(
            f"release   at {report.release_at:%H:%M:%S} UTC: checkout errors, payments slow, "
            f"both models drift; recovered at {report.recovered_at:%H:%M:%S} (drift stays)"
        )

    def _drive(self) -> None:
        """Start the traffic, show progress, check the UI, stop the traffic."""
        schedule = self.schedule
        plans = [
            Plan(
                service,
                self.settings.public_url,
                str(self.workdir / f"state-{service}"),
                self.seed + index,
                schedule.release,
                schedule.recovered,
                schedule.until,
            )
            for index, service in enumerate(sample.SERVICES)
        ]
        with _traffic(plans, self.workdir, self.report) as processes:
            self._check_pages()
            try:
                self._progress(processes)
            except KeyboardInterrupt:
                self.report.interrupted = True
                self.console.print("[yellow]stopped by Ctrl-C; shutting down[/]")
        if not self.report.interrupted:
            self._check_pages()

    def _progress(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        """The status line until the end; the UI is checked again after each drift alert."""
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[alerts]}"),
        )
        schedule, report = self.schedule, self.report
        checked = 0
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task("", total=schedule.until - schedule.start, alerts="")
            while (now := time.time()) < schedule.until:
                with report.lock:
                    firing = sum(1 for a in report.alerts if a.status == "firing")
                    resolved = len(report.alerts) - firing
                progress.update(
                    task,
                    completed=now - schedule.start,
                    description=schedule.phase(now),
                    alerts=f"alerts: {firing} firing, {resolved} resolved",
                )
                drift = len(report.firing(configs.DRIFT_RULE))
                if drift > checked:
                    checked = drift
                    self._check_pages()
                _check_traffic(self.console, processes, report)
                time.sleep(_REFRESH_SECONDS)

    def _check_pages(self) -> None:
        """GET each model page of the UI; the status (or the error) goes into the report."""
        import httpx

        from observability.core.credentials import auth_headers

        headers = auth_headers(self.settings.api_key)
        for url in self.pages:
            try:
                status: object = httpx.get(url, headers=headers, timeout=10).status_code
            except httpx.HTTPError as exc:
                status = f"{type(exc).__name__}: {exc}"
            at = datetime.now(UTC).isoformat()
            self.report.ui_checks.append({"url": url, "status": status, "at": at})


def _check_traffic(
    console: Console, processes: dict[str, subprocess.Popen[bytes]], report: LiveReport
) -> None:
    """A traffic process that ended early ends the demo, its log's tail shown."""
    for service, process in processes.items():
        code = process.poll()
        if code is None:
            continue
        report.traffic_exit_codes[service] = code
        log = Path(report.workdir) / f"traffic-{service}.log"
        tail = log.read_text(errors="replace").splitlines()[-10:] if log.is_file() else []
        for line in tail:
            console.print(line, markup=False, highlight=False)
        raise ObservabilityError(f"the {service} traffic process ended early (status {code})")


@contextlib.contextmanager
def _traffic(
    plans: list[Plan], workdir: Path, report: LiveReport
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """One process per service, its output in `<workdir>/traffic-<service>.log`; stopped
    with SIGTERM (they flush their sinks) and killed if they do not end in time."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs: list[IO[bytes]] = []
    try:
        for plan in plans:
            log = (workdir / f"traffic-{plan.service}.log").open("wb")
            logs.append(log)
            command = [sys.executable, "-m", "observability.demo.traffic", plan.to_json()]
            processes[plan.service] = subprocess.Popen(  # noqa: S603 (our own module)
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        yield processes
    finally:
        ended = bool(plans) and time.time() >= plans[0].until
        for service, code in _stop(processes, ended=ended).items():
            report.traffic_exit_codes.setdefault(service, code)
        for handle in logs:
            handle.close()


def _stop(processes: dict[str, subprocess.Popen[bytes]], *, ended: bool) -> dict[str, int]:
    """Exit codes, once every process is gone. At the planned end they stop by themselves
    (a SIGTERM then could land in their interpreter's teardown); otherwise, and after a
    grace period, SIGTERM (they flush their sinks), and SIGKILL for one that hangs."""
    if not ended:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
    deadline = time.monotonic() + _TRAFFIC_STOP_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=_TRAFFIC_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return {service: process.returncode for service, process in processes.items()}


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """Set one variable of this process for the block (the webhook's URL, which alerts.yaml
    names as `url_env`: a receiver's URL is never written in the file)."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def _print_alert(console: Console, alert: ReceivedAlert) -> None:
    style = _STYLES.get(alert.status, "bold")
    where = ", ".join(
        f"{k}={v}" for k, v in sorted(alert.labels.items()) if k in ("model", "service", "severity")
    )
    summary = alert.annotations.get("summary", "")
    console.print(
        f"[{style}]ALERT {alert.status.upper()}[/] {alert.name} ({where}) "
        f"at {alert.received_at:%H:%M:%S}: {summary}"
    )
    links = alert.links
    link = links.get("model") or links.get("logs") or next(iter(links.values()), "")
    if link:
        console.print(f"      {link}", soft_wrap=True)


def render_summary(report: LiveReport) -> Any:
    """The closing table: alerts received per rule and status, and the UI checks."""
    from rich.table import Table

    table = Table(title="alerts received by the webhook")
    for name in ("rule", "status", "labels", "count"):
        table.add_column(name, justify="right" if name == "count" else "left")
    counts: dict[tuple[str, str, str], int] = {}
    with report.lock:
        for alert in report.alerts:
            labels = ", ".join(
                f"{k}={v}" for k, v in sorted(alert.labels.items()) if k in ("model", "service")
            )
            key = (alert.name, alert.status, labels)
            counts[key] = counts.get(key, 0) + 1
    for (rule, status, labels), count in sorted(counts.items()):
        table.add_row(rule, status, labels, str(count))
    if not counts:
        table.add_row("none yet", "-", "-", "0")
    return table
