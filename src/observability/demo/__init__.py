"""The demos: `observability demo` (finite: a few minutes of sample data through the
collector, compacted and accounted for; `finite.py`) and `observability demo --live` (the
local stack with live traffic, an incident, drift and alerts; `live.py`).

`sample` is the sample world both draw from, `stack` runs the app in a thread on a loopback
port, `workdir` is the temporary directory each demo removes at exit unless kept. The
finite demo's names are imported on first use: a traffic process (`traffic.py`) imports
this package and needs the SDK only, not pandas and the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from observability.demo.sample import FRAUD_MODEL, PRICE_MODEL, SERVICES

if TYPE_CHECKING:
    from observability.demo.finite import DemoReport, render_report, run_demo

__all__ = ["FRAUD_MODEL", "PRICE_MODEL", "SERVICES", "DemoReport", "render_report", "run_demo"]
_FINITE: Final = frozenset({"DemoReport", "render_report", "run_demo"})


def __getattr__(name: str) -> Any:
    """`run_demo`, `render_report` and `DemoReport` from `finite`, imported when asked for."""
    if name in _FINITE:
        from observability.demo import finite

        return vars(finite)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
