"""The saved objects in dashboards/opensearch/: importable shape, and every field they use
exists in the index template with a type the use needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import orjson
import pytest

from observability.core.fields import Kind
from observability.index.templates import INDEX_PREFIX, index_template

DASHBOARDS: Final = Path(__file__).resolve().parents[2] / "dashboards" / "opensearch"
#: Pattern title -> the kind whose template covers it.
PATTERNS: Final = {f"{prefix}-*": kind for kind, prefix in INDEX_PREFIX.items()}
NUMERIC: Final = frozenset({"long", "integer", "short", "double", "float", "half_float"})
#: Aggregation -> the mapping types it can run on.
NEEDS: Final = {
    "date_histogram": frozenset({"date", "date_nanos"}),  # Dashboards histograms both
    "terms": frozenset({"keyword"}),
    "percentiles": NUMERIC,
    "avg": NUMERIC,
}
_KQL_FIELD: Final = re.compile(r"([A-Za-z_][\w.]*)\s*:")


def _objects() -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for path in sorted(DASHBOARDS.glob("*.ndjson"))
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]


def _mapping_type(kind: Kind, field: str) -> str | None:
    """The mapping type of a dotted field in the rendered template (None: not mapped)."""
    node: dict[str, Any] = {
        "properties": index_template(kind)["template"]["mappings"]["properties"]
    }
    for part in field.split("."):
        children = {**node.get("properties", {}), **node.get("fields", {})}
        if part not in children:
            return None
        node = children[part]
    return str(node.get("type", "object"))


def _kql_fields(query: object) -> list[str]:
    text = query.get("query", "") if isinstance(query, dict) else str(query or "")
    return _KQL_FIELD.findall(text)


def _uses(obj: dict[str, Any], patterns: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(pattern title, field, use) for every field an object references."""
    attributes = obj["attributes"]
    ref = {r["name"]: patterns[r["id"]] for r in obj["references"] if r["id"] in patterns}
    if obj["type"] == "index-pattern":
        yield attributes["title"], attributes["timeFieldName"], "date_histogram"
        return
    source = orjson.loads(attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}"))
    title = ref.get(source.get("indexRefName", ""), "")
    for field in _kql_fields(source.get("query")):
        yield title, field, "query"
    for flt in source.get("filter", []):
        for field in flt.get("range", {}):
            yield title, field, "date_histogram"
    for column in attributes.get("columns", []):
        yield title, column, "column"
    for field, _order in attributes.get("sort", []):
        yield title, field, "sort"
    if "visState" in attributes:
        yield from _vis_uses(orjson.loads(attributes["visState"]), title)


def _vis_uses(state: dict[str, Any], title: str) -> Iterator[tuple[str, str, str]]:
    """Fields of a visualisation: aggregation fields, or TSVB's own pattern and fields."""
    for agg in state.get("aggs", []):
        if "field" in agg["params"]:
            yield title, agg["params"]["field"], agg["type"]
    if state["type"] != "metrics":
        return
    params = state["params"]
    tsvb = params["index_pattern"]
    yield tsvb, params["time_field"], "date_histogram"
    for series in params["series"]:
        yield tsvb, series["terms_field"], "terms"
        for metric in series["metrics"]:
            for side in ("numerator", "denominator"):
                for field in _kql_fields(metric.get(side)):
                    yield tsvb, field, "query"


def test_saved_objects_have_the_import_shape() -> None:
    """Every line is a saved object with a unique id, and every reference resolves."""
    objects = _objects()
    ids = {(o["type"], o["id"]) for o in objects}
    assert len(ids) == len(objects)
    assert {o["type"] for o in objects} == {"index-pattern", "search", "visualization", "dashboard"}
    titles = {o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert titles == set(PATTERNS)
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, (obj["id"], ref)
    dashboard = next(o for o in objects if o["type"] == "dashboard")
    panels = orjson.loads(dashboard["attributes"]["panelsJSON"])
    names = {ref["name"] for ref in dashboard["references"]}
    assert len(panels) == 4 and {p["panelRefName"] for p in panels} == names


def test_every_referenced_field_exists_in_the_index_template() -> None:
    """Each field a saved object uses is mapped in its pattern's template, with a fit type."""
    objects = _objects()
    patterns = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    checked = 0
    for obj in objects:
        for title, field, use in _uses(obj, patterns):
            assert title in PATTERNS, (obj["id"], title)
            mapped = _mapping_type(PATTERNS[title], field)
            assert mapped is not None, f"{obj['id']}: {field} is not in the {title} template"
            needed = NEEDS.get(use)
            assert needed is None or mapped in needed, f"{obj['id']}: {use} on {field} ({mapped})"
            checked += 1
    assert checked >= 25


@pytest.mark.parametrize(("field", "kind"), [("latency", Kind.PREDICTION), ("nope", Kind.LOG)])
def test_the_checker_catches_unmapped_fields(field: str, kind: Kind) -> None:
    """A field that the template does not map is reported as missing (the check can fail)."""
    assert _mapping_type(kind, field) is None
    assert _mapping_type(Kind.LOG, "exception.type") == "keyword"
    assert _mapping_type(Kind.LOG, "event.keyword") == "keyword"
