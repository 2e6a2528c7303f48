"""Matchers, the routing tree and inhibition behave as Alertmanager's do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.alerting.matchers import Matcher, MatcherError, Op, parse_matcher
from observability.alerting.model import Alert, AlertState
from observability.alerting.routes import (
    DEFAULT_INHIBIT_RULES,
    InhibitRule,
    inhibitor,
    match_routes,
    parse_route,
)

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


def _alert(**labels: str) -> Alert:
    return Alert(
        rule=labels.get("alertname", "r"),
        labels=labels,
        annotations={},
        state=AlertState.FIRING,
        value=1.0,
        threshold=0.5,
        starts_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ("severity=critical", {"severity": "warning"}, False),
        ('team!="ml"', {}, True),
        ('team=~"ml|data"', {"team": "data"}, True),
        ('team=~"ml"', {"team": "mlops"}, False),  # anchored, as in Alertmanager
        ('team!~".+"', {}, True),  # a missing label is the empty value
        (' model = "a \\"quoted\\" name" ', {"model": 'a "quoted" name'}, True),
    ],
)
def test_matchers_select_as_alertmanager_does(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    """Equality, inequality, anchored regexes, and missing labels as empty values."""
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("severity", "expected name"),
        ('1x="a"', "expected name"),
        ('a=~"("', "bad regex"),
        ('a="open', "unterminated"),
        ('a=x"y', "must be quoted whole"),
    ],
)
def test_bad_matchers_are_refused_with_a_reason(text: str, message: str) -> None:
    """Each unreadable matcher is a MatcherError saying why."""
    with pytest.raises(MatcherError, match=message):
        parse_matcher(text)


@given(name=NAMES, op=st.sampled_from([Op.EQUAL, Op.NOT_EQUAL]), value=st.text(max_size=40))
def test_a_matcher_reads_back_from_its_text(name: str, op: Op, value: str) -> None:
    """Any name and value survive `str` and `parse_matcher` (quotes and backslashes too)."""
    matcher = Matcher.build(name, op, value)
    again = parse_matcher(str(matcher))
    assert (again.name, again.op, again.value) == (name, op, value)


ROUTE = parse_route(
    {
        "receiver": "default",
        "group_by": ["alertname"],
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
            {
                "matchers": ['team="ml"'],
                "receiver": "ml",
                "group_by": ["alertname", "model"],
                "routes": [{"matchers": ['model="fraud"'], "receiver": "fraud-team"}],
            },
            {"matchers": ['team=~"ml|data"'], "receiver": "data"},
        ],
    }
)


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"team": "web"}, ["default"]),
        ({"team": "ml", "model": "churn"}, ["ml"]),  # first match wins: not "data"
        ({"team": "ml", "model": "fraud"}, ["fraud-team"]),  # the deepest match
        ({"team": "ml", "severity": "critical"}, ["pager", "ml"]),  # continue: true
        ({"team": "data"}, ["data"]),
    ],
)
def test_routes_take_the_deepest_first_match_and_continue(
    labels: dict[str, str], receivers: list[str]
) -> None:
    """Depth first, first match unless `continue`, the root when nothing matches."""
    assert [route.receiver for route in match_routes(ROUTE, labels)] == receivers


def test_children_inherit_and_group_keys_follow_group_by() -> None:
    """A child inherits timers and group_by; the group key changes with its group labels."""
    (fraud,) = match_routes(ROUTE, {"team": "ml", "model": "fraud", "alertname": "drift"})
    assert fraud.group_by == ("alertname", "model")
    assert fraud.group_interval == ROUTE.group_interval
    assert fraud.group_labels({"alertname": "drift", "model": "fraud", "x": "1"}) == {
        "alertname": "drift",
        "model": "fraud",
    }
    one = fraud.group_key({"alertname": "drift", "model": "fraud", "feature": "a"})
    two = fraud.group_key({"alertname": "drift", "model": "fraud", "feature": "b"})
    other = fraud.group_key({"alertname": "drift", "model": "churn"})
    assert one == two != other
    assert ROUTE.group_key({"alertname": "drift"}) != one  # another route, another group


def test_a_critical_alert_mutes_a_warning_with_the_same_labels() -> None:
    """The default inhibition: same source labels; a different model is not muted."""
    critical = _alert(alertname="drift-critical", severity="critical", model="fraud")
    warning = _alert(alertname="drift-warning", severity="warning", model="fraud")
    other = _alert(alertname="drift-warning", severity="warning", model="churn")
    active = [critical, warning, other]
    assert inhibitor(DEFAULT_INHIBIT_RULES, warning, active) is critical
    assert inhibitor(DEFAULT_INHIBIT_RULES, other, active) is None
    assert inhibitor(DEFAULT_INHIBIT_RULES, critical, active) is None


def test_equal_labels_are_configurable() -> None:
    """With `equal: [team]`, a critical alert mutes every warning of its team."""
    rule = InhibitRule(
        source=(parse_matcher('severity="critical"'),),
        target=(parse_matcher('severity="warning"'),),
        equal=("team",),
    )
    critical = _alert(severity="critical", team="ml", model="fraud")
    warning = _alert(severity="warning", team="ml", model="churn")
    assert inhibitor([rule], warning, [critical, warning]) is critical
    assert inhibitor([rule], _alert(severity="warning", team="web"), [critical]) is None
