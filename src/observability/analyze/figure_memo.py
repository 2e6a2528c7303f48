"""Build each of an Evidently report's plotly figures once: most of a report's time is plotly.

In a DataDriftPreset + DataSummaryPreset report every numeric column's histogram is binned
and drawn by each of its seven summary metrics, and each drift figure by both the drift table
and the column's ValueDrift: 180 figures for 20 columns, 55 of them distinct, each costing
milliseconds, much of it in plotly's parsing of property paths. While a report runs inside
`active()`, the builders those metrics call are memoised on the exact bytes of their
arguments (pickled): equal inputs, one build, the same figure, so the HTML, the JSON and the
snapshot do not change (tests/analyze/test_figure_memo.py compares them with and without);
plotly's path parser keeps its answers. Together they halve a drift report's CPU time.

This is monkeypatching, kept small: module attributes of Evidently and plotly are replaced
only while a report runs (counted, so overlapping reports share it), and only where the
attribute is still the function expected there, so an Evidently release that moves them
makes reports slower, never different. The callers patched hand each figure straight to
`plotly_figure`, which copies it; nothing mutates a figure after it is built.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FunctionType, ModuleType
from typing import Any, Final

#: Where Evidently's figure builders are defined.
_BUILDERS: Final = "evidently.legacy.utils.visualizations"
#: (module that calls a builder through its own name, builder): the calls that repeat.
_CALLERS: Final = (
    ("evidently.metrics.column_statistics", "get_distribution_for_column"),
    ("evidently.metrics.column_statistics", "plot_distr_with_perc_button"),
    ("evidently.metrics.column_statistics", "plot_agg_line_data"),
    ("evidently.legacy.metrics.data_drift.data_drift_table", "plot_distr_with_perc_button"),
    ("evidently.legacy.metrics.data_drift.data_drift_table", "plot_agg_line_data"),
)
#: Plotly's parser of property paths ("xaxis.title.text"): a pure function of its string.
_PLOTLY_PATHS: Final = ("plotly.basedatatypes", "_str_to_dict_path_full")
#: Distinct property paths kept parsed (plotly's own figures use a few hundred).
_PATHS_KEPT: Final = 4096
#: What pickling an argument it cannot pickle raises: such a call is simply not memoised.
_UNPICKLABLE: Final = (pickle.PicklingError, TypeError, AttributeError, ValueError)


@dataclass
class _Patches:
    """The replaced attributes and the figures built, while at least one report runs."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    #: (module, attribute) -> the original value, restored when the last report ends.
    saved: dict[tuple[Any, str], Any] = field(default_factory=dict)
    built: dict[bytes, Any] = field(default_factory=dict)


_state: Final = _Patches()


@contextmanager
def active() -> Iterator[None]:
    """Memoise Evidently's figure builders for the duration of the block."""
    with _state.lock:
        if _state.users == 0:
            _install()
        _state.users += 1
    try:
        yield
    finally:
        with _state.lock:
            _state.users -= 1
            if _state.users == 0:
                for (module, name), original in _state.saved.items():
                    setattr(module, name, original)
                _state.saved.clear()
                _state.built.clear()


def _install() -> None:
    builders = _module(_BUILDERS)
    memoised: dict[str, Callable[..., Any]] = {}
    for module_name, name in _CALLERS:
        module = _module(module_name)
        original = getattr(builders, name, None)
        if getattr(module, name, None) is not original or not isinstance(original, FunctionType):
            continue  # moved or already replaced by someone else: leave it alone
        if name not in memoised:
            memoised[name] = _memoised(name, original)
        _state.saved[(module, name)] = original
        setattr(module, name, memoised[name])
    plotly_module = _module(_PLOTLY_PATHS[0])
    parse = getattr(plotly_module, _PLOTLY_PATHS[1], None)
    if isinstance(parse, FunctionType):
        _state.saved[(plotly_module, _PLOTLY_PATHS[1])] = parse
        setattr(plotly_module, _PLOTLY_PATHS[1], _parsed_paths(parse))


def _module(name: str) -> ModuleType | None:
    """The module, or None where a release has moved it (nothing to memoise there)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _memoised(name: str, build: Callable[..., Any]) -> Callable[..., Any]:
    """`build`, called once per distinct pickled argument list while reports run."""

    @functools.wraps(build)
    def memoised(*args: Any, **kwargs: Any) -> Any:
        try:
            pickled = pickle.dumps((name, args, sorted(kwargs.items())), protocol=5)
        except _UNPICKLABLE:
            return build(*args, **kwargs)
        key = hashlib.blake2b(pickled, digest_size=32).digest()
        with _state.lock:
            if key in _state.built:
                return _state.built[key]
        value = build(*args, **kwargs)
        with _state.lock:
            return _state.built.setdefault(key, value)

    return memoised


def _parsed_paths(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Plotly's path parser with its answers kept; each caller gets its own index list."""
    cached = functools.lru_cache(maxsize=_PATHS_KEPT)(parse)

    @functools.wraps(parse)
    def parsed(key_path: str) -> Any:
        try:
            path, positions = cached(key_path)
        except TypeError:  # an unhashable path: plotly's own answer, or its own error
            return parse(key_path)
        return path, list(positions)

    return parsed


__all__ = ("active",)
