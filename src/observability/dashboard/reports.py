"""Reports: a model's list (newest window first, cursor-paginated), one report's JSON, its HTML.

A report is a drift window the job stored Evidently documents for (`reports/model=<m>/
dt=<start day>/<report id>{.json,.html,.quality.json,.quality.html}`, keys from
`core/keys.py`); its verdicts come from the window's `drift_metrics` rows and its run from
`drift_runs/`. A re-run replaces a window's files under the same keys, so the JSON and
HTML answers carry a content-derived ETag (a hash of the bytes sent): a client that
revalidates gets 304 until the window is re-run.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import orjson
from pydantic import ValidationError

from observability.core import keys
from observability.core.links import Links
from observability.core.times import format_instant
from observability.dashboard import cursor
from observability.dashboard.errors import BadParameterError, NotFoundError
from observability.dashboard.listing import Lister
from observability.dashboard.schemas import (
    ReportDetail,
    ReportLinks,
    ReportPage,
    ReportSummary,
    RunInfo,
)
from observability.dashboard.windows import DriftWindows, StoredWindow
from observability.store.base import ObjectStore

log = logging.getLogger(__name__)


class Variant(StrEnum):
    """Which of a window's Evidently reports: data drift, or quality once labels arrived."""

    DRIFT = "drift"
    QUALITY = "quality"


#: Each variant's part of a report file's suffix (`keys.REPORT_VARIANTS`).
VARIANT_SUFFIX: Final[dict[Variant, str]] = {
    Variant.DRIFT: keys.REPORT_VARIANTS[0],
    Variant.QUALITY: keys.REPORT_VARIANTS[1],
}
_VARIANT_OF: Final = {suffix: variant for variant, suffix in VARIANT_SUFFIX.items()}


@dataclass(frozen=True, slots=True)
class Body:
    """Bytes to send and their content-derived ETag."""

    data: bytes
    etag: str


def etag_of(data: bytes) -> str:
    """A strong ETag from the bytes themselves."""
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def report_window(report_id: str) -> tuple[str, datetime, datetime]:
    """(model, start, end) of a report id; BadParameterError for text that is not one."""
    try:
        return keys.parse_report_id(report_id)
    except ValueError:
        raise BadParameterError(
            f"bad report id {report_id[:120]!r}: expected <model>~<start>_<end> "
            "(e.g. fraud~20261101T0300_20261101T0400)"
        ) from None


class Reports:
    """Reads reports for the routes."""

    def __init__(
        self, store: ObjectStore, lister: Lister, windows: DriftWindows, links: Links
    ) -> None:
        self._store = store
        self._lister = lister
        self._windows = windows
        self._links = links

    def variants(self, report_id: str) -> list[Variant]:
        """The variants stored for a report (listed, not read)."""
        prefix = keys.report_key(report_id).rpartition("/")[0] + "/"
        found = set()
        for entry in self._lister.files(prefix):
            parsed = keys.report_file_of(entry.key)
            if parsed is not None and parsed[0] == report_id:
                found.add(_VARIANT_OF[parsed[1]])
        return [variant for variant in Variant if variant in found]

    def page(
        self,
        model: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        after: str | None,
    ) -> ReportPage:
        """A page of a model's reports in [start, end), newest first, after the cursor."""
        position = cursor.decode(after, 3)
        days = self._days(model, start, end)
        items: list[ReportSummary] = []
        for day in reversed(days):
            prefix = keys.hive_prefix(keys.reports_prefix(model), ("dt", day))
            found: dict[str, set[Variant]] = defaultdict(set)
            for entry in self._lister.files(prefix):
                parsed = keys.report_file_of(entry.key)
                if parsed is not None:
                    found[parsed[0]].add(_VARIANT_OF[parsed[1]])
            ordered = sorted(
                ((report_window(r), r) for r in found), key=lambda p: (p[0][1], p[0][2], p[1])
            )
            for (owner, begin, finish), report_id in reversed(ordered):
                sort_key = (format_instant(begin), format_instant(finish), report_id)
                if owner != model or (position is not None and sort_key >= position):
                    continue
                if (start is not None and begin < start) or (end is not None and begin >= end):
                    continue
                variants = [v for v in Variant if v in found[report_id]]
                items.append(self._summary(report_id, begin, finish, variants))
                if len(items) > limit:
                    last = items[limit - 1]
                    next_position = (
                        format_instant(last.window_start),
                        format_instant(last.window_end),
                        last.report_id,
                    )
                    return ReportPage(items=items[:limit], next_cursor=cursor.encode(next_position))
        return ReportPage(items=items, next_cursor=None)

    def _days(self, model: str, start: datetime | None, end: datetime | None) -> list[str]:
        days = sorted(
            name.partition("=")[2]
            for name in self._lister.children(keys.reports_prefix(model))
            if name.startswith("dt=")
        )
        first = keys.day(start) if start is not None else ""
        last = keys.day(end - timedelta(microseconds=1)) if end is not None else "9999"
        return [d for d in days if first <= d <= last]

    def _summary(
        self, report_id: str, start: datetime, end: datetime, variants: list[Variant]
    ) -> ReportSummary:
        window = self._windows.window(report_id)
        point = window.point if window is not None else None
        return ReportSummary(
            report_id=report_id,
            model=report_window(report_id)[0],
            window_start=start,
            window_end=end,
            variants=[v.value for v in variants],
            status=point.status if point else None,
            share_drifted=point.share_drifted if point else None,
            drifted_count=len(point.drifted_features) if point else None,
            links=self._report_links(report_id, variants),
        )

    def _report_links(self, report_id: str, variants: list[Variant]) -> ReportLinks:
        return ReportLinks(
            report=self._links.api_report(report_id),
            html=self._links.api_report_html(report_id) if Variant.DRIFT in variants else None,
            quality_html=self._links.api_report_quality_html(report_id)
            if Variant.QUALITY in variants
            else None,
            view=self._links.report_view(report_id),
        )

    def detail(self, report_id: str) -> Body:
        """The report's JSON: verdicts, run, links and the stored Evidently documents."""
        model, start, end = report_window(report_id)
        window = self._windows.window(report_id)
        variants = self.variants(report_id)
        if window is None and not variants:
            raise NotFoundError(f"no report {report_id!r}: no drift window was stored for it")
        point = window.point if window is not None else None
        detail = ReportDetail(
            report_id=report_id,
            model=model,
            window_start=start,
            window_end=end,
            variants=[v.value for v in variants],
            status=point.status if point else None,
            n_current=point.n_current if point else None,
            share_drifted=point.share_drifted if point else None,
            drifted_features=point.drifted_features if point else [],
            features=point.features if point else [],
            run=self._run(model, report_id),
            links=self._report_links(report_id, variants),
            evidently=self._document(report_id, Variant.DRIFT),
            evidently_quality=self._document(report_id, Variant.QUALITY),
        )
        data = detail.model_dump_json().encode()
        return Body(data, etag_of(data))

    def html(self, report_id: str, variant: Variant) -> Body:
        """The stored Evidently HTML of a variant; NotFoundError when none was stored."""
        report_window(report_id)
        try:
            suffix = VARIANT_SUFFIX[variant] + keys.REPORT_HTML
            data = self._store.get(keys.report_key(report_id, suffix))
        except KeyError:
            raise NotFoundError(
                f"no {variant.value} HTML for report {report_id!r}"
                + (
                    " (quality reports exist once labels arrive)"
                    if variant is Variant.QUALITY
                    else ""
                )
            ) from None
        return Body(data, etag_of(data))

    def window(self, report_id: str) -> StoredWindow | None:
        """The report's drift window rows (for the features route)."""
        return self._windows.window(report_id)

    def document(self, report_id: str, variant: Variant) -> dict[str, Any] | None:
        """The stored Evidently JSON of a variant, or None."""
        return self._document(report_id, variant)

    def _document(self, report_id: str, variant: Variant) -> dict[str, Any] | None:
        try:
            suffix = VARIANT_SUFFIX[variant] + keys.REPORT_JSON
            data = self._store.get(keys.report_key(report_id, suffix))
        except KeyError:
            return None
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            log.warning("report %s: the stored %s JSON is not an object", report_id, variant)
            return None
        return document

    def _run(self, model: str, report_id: str) -> RunInfo | None:
        try:
            data = self._store.get(keys.drift_run_key(model, report_id))
        except KeyError:
            return None
        try:
            return RunInfo.model_validate_json(data)
        except ValidationError as exc:
            log.warning("report %s: the run record cannot be read: %s", report_id, exc)
            return None
