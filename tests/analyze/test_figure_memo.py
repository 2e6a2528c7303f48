"""Evidently's figure builders memoised during a report: same output, fewer builds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from evidently import BinaryClassification, DataDefinition, Dataset, Report
from evidently.legacy.metric_results import HistogramData
from evidently.legacy.options import ColorOptions
from evidently.legacy.utils import visualizations
from evidently.metrics import column_statistics
from evidently.presets import ClassificationPreset, DataDriftPreset, DataSummaryPreset
from plotly import basedatatypes

from observability.analyze import figure_memo

#: Ids Evidently draws at random (uuids of widgets and graphs, the HTML dashboard's name).
RANDOM_IDS = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|(?<=metric_)[0-9a-f]{32}")
#: The snapshot's creation time.
CREATED = re.compile(r'"timestamp": "[^"]*"')


def _normalised(text: str) -> str:
    """`text` with each random id replaced by its order of first appearance."""
    seen: dict[str, str] = {}
    text = RANDOM_IDS.sub(lambda m: seen.setdefault(m.group(0), f"id{len(seen)}"), text)
    return CREATED.sub('"timestamp": ""', text)


def _forms(snapshot: Any) -> tuple[str, str, str]:
    return (
        _normalised(snapshot.json()),
        _normalised(snapshot.get_html_str(as_iframe=False)),
        _normalised(snapshot.dumps()),
    )


def _drift_report() -> tuple[str, str, str]:
    rng = np.random.default_rng(7)
    rows = 1500

    def side(shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "a": rng.normal(shift, 1, rows),
                "b": rng.exponential(1 + shift, rows),
                "c": rng.choice(["x", "y", "z"], rows),
            }
        )

    definition = DataDefinition(numerical_columns=["a", "b"], categorical_columns=["c"])
    report = Report([DataDriftPreset(), DataSummaryPreset()], include_tests=True)
    return _forms(
        report.run(
            Dataset.from_pandas(side(0.3), data_definition=definition),
            Dataset.from_pandas(side(0.0), data_definition=definition),
        )
    )


def _quality_report() -> tuple[str, str, str]:
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"y": rng.choice(["no", "yes"], 800), "p": rng.choice(["no", "yes"], 800)})
    definition = DataDefinition(
        categorical_columns=["y", "p"],
        classification=[BinaryClassification(target="y", prediction_labels="p", pos_label="yes")],
    )
    report = Report([ClassificationPreset()])
    return _forms(report.run(Dataset.from_pandas(frame, data_definition=definition), None))


@pytest.mark.parametrize("build", [_drift_report, _quality_report], ids=["drift", "quality"])
def test_reports_are_unchanged_by_the_memo(build: Callable[[], tuple[str, str, str]]) -> None:
    """A report's JSON, HTML and snapshot are the same with the memo as without it."""
    plain = build()
    with figure_memo.active():
        memoised = build()
    for name, before, after in zip(("json", "html", "snapshot"), plain, memoised, strict=True):
        assert before == after, f"{name} differs"


def _histogram(counts: list[int]) -> HistogramData:
    return HistogramData(x=pd.Series([0.0, 1.0, 2.0]), count=pd.Series(counts), name=None)


def _figure(counts: list[int]) -> Any:
    return column_statistics.plot_distr_with_perc_button(
        hist_curr=_histogram(counts),
        hist_ref=_histogram([1, 1, 1]),
        color_options=ColorOptions(),
        subplots=False,
        to_json=False,
    )


def test_equal_arguments_build_one_figure_and_the_builder_comes_back() -> None:
    """Equal arguments give the very same figure while active; afterwards Evidently's own."""
    plain = _figure([3, 4, 5]).to_json()
    with figure_memo.active():
        first = _figure([3, 4, 5])
        assert _figure([3, 4, 5]) is first
        assert _figure([3, 4, 6]) is not first
        assert first.to_json() == plain
    original = visualizations.plot_distr_with_perc_button
    assert column_statistics.plot_distr_with_perc_button is original
    assert _figure([3, 4, 5]) is not _figure([3, 4, 5])


def test_overlapping_reports_keep_the_memo_until_the_last_ends() -> None:
    """The builders stay memoised until the last of two overlapping reports ends."""
    original = visualizations.get_distribution_for_column
    with figure_memo.active():
        with figure_memo.active():
            assert column_statistics.get_distribution_for_column is not original
        assert column_statistics.get_distribution_for_column is not original
    assert column_statistics.get_distribution_for_column is original


def test_a_builder_someone_else_replaced_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An attribute that is no longer Evidently's builder is neither wrapped nor restored."""

    def elsewhere(**kwargs: Any) -> str:
        return "their own"

    monkeypatch.setattr(column_statistics, "plot_agg_line_data", elsewhere)
    with figure_memo.active():
        assert column_statistics.plot_agg_line_data is elsewhere
        assert column_statistics.plot_distr_with_perc_button is not (
            visualizations.plot_distr_with_perc_button
        )
    assert column_statistics.plot_agg_line_data is elsewhere


def test_plotly_paths_parse_as_plotly_does() -> None:
    """The cached path parser answers as plotly's and gives each caller its own index list."""
    paths = ["xaxis.title.text", "error_x.color", "a_path_", "updatemenus[0].buttons[1].label", ""]
    expected = [basedatatypes._str_to_dict_path_full(path) for path in paths]
    with figure_memo.active():
        parse = basedatatypes._str_to_dict_path_full
        assert [parse(path) for path in paths] == expected
        indexes = parse("xaxis.title.text")[1]
        indexes.append(99)
        assert parse("xaxis.title.text") == expected[0]


def test_arguments_that_do_not_pickle_are_built_every_time() -> None:
    """A call whose arguments cannot be pickled is built each time, never mixed up."""
    built: list[object] = []

    def build(value: object) -> object:
        built.append(value)
        return object()

    memoised = figure_memo._memoised("build", build)
    with figure_memo.active():
        assert memoised(1) is memoised(1)
        assert memoised(lambda: 1) is not memoised(lambda: 1)
    assert len(built) == 3


def test_a_module_a_release_removed_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller module that no longer exists is skipped; the others are still memoised."""
    callers = (("evidently.no_such_module", "plot_agg_line_data"), *figure_memo._CALLERS)
    monkeypatch.setattr(figure_memo, "_CALLERS", callers)
    with figure_memo.active():
        assert column_statistics.plot_agg_line_data is not visualizations.plot_agg_line_data
    assert column_statistics.plot_agg_line_data is visualizations.plot_agg_line_data
