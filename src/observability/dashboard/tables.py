"""Rows of a derived table (`core.derived`: `job_runs`, `alerts`), read straight from its files.

Such a table is Parquet files under `<prefix><key column>=<value>/dt=<day>/`, written once
and never appended to; a range lists only its days, and each file is parsed once per
version. The pages of the routes go newest first and resume after a cursor's position.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from observability.core import keys
from observability.core.checks import is_name
from observability.core.derived import DerivedTable
from observability.dashboard import cursor
from observability.dashboard.cache import ObjectCache
from observability.dashboard.listing import Lister
from observability.dashboard.windows import day_range
from observability.store.base import ObjectStore

Row = TypeVar("Row")
_PARQUET = ".parquet"


class PartitionedRows(Generic[Row]):
    """A derived table's rows as `Row`s: `parse(key value, row)` builds one."""

    def __init__(
        self,
        table: DerivedTable,
        store: ObjectStore,
        lister: Lister,
        parse: Callable[[str, dict[str, Any]], Row],
    ) -> None:
        self._table = table
        self._column = table.partition_names[0]
        self._lister = lister
        self._parse = parse
        self._cache: ObjectCache[list[Row]] = ObjectCache(store, self._parse_file, 100_000)

    def values(self) -> list[str]:
        """The key column's values that have files (jobs, rules)."""
        found = []
        for child in self._lister.children(self._table.prefix):
            column, sep, value = child.partition("=")
            if sep and column == self._column and is_name(value):
                found.append(value)
        return sorted(found)

    def days(self, values: Iterable[str], start: datetime, end: datetime) -> dict[str, list[str]]:
        """Day -> the values with files that day, for the days of [start, end)."""
        first, last = (d.isoformat() for d in day_range(start, end))
        days: dict[str, list[str]] = {}
        for value in values:
            for child in self._lister.children(self._prefix(value)):
                column, _, day = child.partition("=")
                if column == "dt" and first <= day <= last:
                    days.setdefault(day, []).append(value)
        return days

    def rows(self, day: str, values: Iterable[str]) -> list[Row]:
        """Every row of `values` on `day` (a file removed since listing is skipped)."""
        found: list[Row] = []
        for value in values:
            for entry in self._lister.files(keys.hive_prefix(self._prefix(value), ("dt", day))):
                if not entry.name.endswith(_PARQUET):
                    continue
                try:
                    found.extend(self._cache.get(entry))
                except KeyError:
                    continue
        return found

    def page(
        self,
        values: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        keep: Callable[[Row], bool],
        position: Callable[[Row], tuple[str, str, str]],
        limit: int,
        after: str | None,
    ) -> tuple[list[Row], str | None]:
        """Rows of `values` that `keep` accepts, newest `position` (three strings whose
        order is the rows' order) first, after the cursor; and the next page's cursor
        (None on the last)."""
        resume = cursor.decode(after, 3)
        days = self.days(values, start, end)
        items: list[Row] = []
        for day in sorted(days, reverse=True):
            for row in sorted(self.rows(day, days[day]), key=position, reverse=True):
                if not keep(row) or (resume is not None and position(row) >= resume):
                    continue
                items.append(row)
                if len(items) > limit:
                    return items[:limit], cursor.encode(position(items[limit - 1]))
        return items, None

    def _prefix(self, value: str) -> str:
        return keys.hive_prefix(self._table.prefix, (self._column, value))

    def _parse_file(self, key: str, data: bytes) -> list[Row]:
        import pyarrow.parquet as pq

        values = keys.hive_values(key, self._table.prefix, (self._column, "dt"))
        value = values[0] if values is not None else ""
        return [self._parse(value, row) for row in pq.read_table(io.BytesIO(data)).to_pylist()]
