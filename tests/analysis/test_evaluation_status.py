"""Issue 15, acceptance 1: the status, change, projection, suppression and warning rules of
design/evaluation.md, case by case: every target op on both sides of each boundary, `=` read as
`>=`, 100% targets, `~` with its tolerance, `up`/`down` with and without a baseline, `qual`,
suppression (n < 30, NCHS), 预计达标困难 and 波动较大."""

from __future__ import annotations

import math

import pytest

from analysis.evaluation.baseline import Baseline
from analysis.evaluation.domain import Cell
from analysis.evaluation.entries import Context, Subject, entry
from analysis.evaluation.status import (
    FLUCTUATING,
    HARD_TO_MEET,
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    UNKNOWN,
    Trend,
    status,
    trend,
    warnings,
    z_value,
)
from surveys.indicator_defs.model import Target

Z = z_value(0.95)
EPS = 1e-9

# (op, value, tolerance, L, U, expected): each boundary from both sides
INTERVALS = [
    (">=", 80, None, 80.0, 90.0, MET), (">=", 80, None, 80 - EPS, 90.0, UNKNOWN),
    (">=", 80, None, 70.0, 80 - EPS, NOT_MET), (">=", 80, None, 70.0, 80.0, UNKNOWN),
    (">", 80, None, 80 + EPS, 90.0, MET), (">", 80, None, 80.0, 90.0, UNKNOWN),
    (">", 80, None, 70.0, 80.0, NOT_MET), (">", 80, None, 70.0, 80 + EPS, UNKNOWN),
    ("<=", 80, None, 70.0, 80.0, MET), ("<=", 80, None, 70.0, 80 + EPS, UNKNOWN),
    ("<=", 80, None, 80 + EPS, 90.0, NOT_MET), ("<=", 80, None, 80.0, 90.0, UNKNOWN),
    ("<", 80, None, 70.0, 80 - EPS, MET), ("<", 80, None, 70.0, 80.0, UNKNOWN),
    ("<", 80, None, 80.0, 90.0, NOT_MET), ("<", 80, None, 80 - EPS, 90.0, UNKNOWN),
    ("=", 80, None, 80.0, 90.0, MET), ("=", 80, None, 80 - EPS, 90.0, UNKNOWN),
    ("=", 80, None, 70.0, 80 - EPS, NOT_MET), ("=", 80, None, 70.0, 80.0, UNKNOWN),
    ("~", 50, 2, 48.0, 52.0, MET), ("~", 50, 2, 48 - EPS, 52.0, UNKNOWN), ("~", 50, 2, 48.0, 52 + EPS, UNKNOWN),
    ("~", 50, 2, 40.0, 48 - EPS, NOT_MET), ("~", 50, 2, 40.0, 48.0, UNKNOWN),
    ("~", 50, 2, 52 + EPS, 60.0, NOT_MET), ("~", 50, 2, 52.0, 60.0, UNKNOWN),
    ("~", 50, 2, 40.0, 60.0, UNKNOWN),
]


@pytest.mark.parametrize("op, value, tolerance, low, high, expected", INTERVALS)
def test_the_status_of_an_interval_against_a_numeric_target(op: str, value: float, tolerance: float | None,
                                                            low: float, high: float, expected: str) -> None:
    assert status(Target(op, value, 2025, tolerance), low, high, False, None, Z) == expected


@pytest.mark.parametrize("op", [">=", ">", "<=", "<", "=", "~", "up", "down"])
def test_a_suppressed_estimate_is_unknown_whatever_its_interval(op: str) -> None:
    value = None if op in ("up", "down") else 50.0
    target = Target(op, value, 2025, 100.0 if op == "~" else None)
    rising = Trend(10.0, 1.0, 40.0)
    assert status(target, 60.0, 61.0, False, rising, Z) in (MET, NOT_MET)  # decided when not suppressed
    assert status(target, 60.0, 61.0, True, rising, Z) == UNKNOWN


def test_qual_is_not_applicable_even_when_suppressed() -> None:
    assert status(Target("qual"), 10.0, 20.0, False, Trend(5.0, 1.0, 5.0), Z) == NOT_APPLICABLE
    assert status(Target("qual"), 10.0, 20.0, True, None, Z) == NOT_APPLICABLE


@pytest.mark.parametrize("op, full, low, high, expected", [
    (">=", 100.0, 100.0, 100.0, UNKNOWN), ("=", 100.0, 100.0, 100.0, UNKNOWN), ("=", 100.0, 95.0, 100.0, UNKNOWN),
    ("=", 100.0, 90.0, 100 - EPS, NOT_MET), (">=", 1.0, 1.0, 1.0, UNKNOWN),  # a share on scale 1
    ("=", None, 100.0, 101.0, MET),  # a mean of 100 can be proven
])
def test_a_hundred_percent_target_is_never_met(op: str, full: float | None, low: float, high: float,
                                               expected: str) -> None:
    value = 1.0 if full == 1.0 else 100.0
    assert status(Target(op, value, 2025), low, high, False, None, Z, full) == expected


@pytest.mark.parametrize("op, change, expected", [
    ("up", 2.0, MET), ("up", Z + EPS, MET), ("up", Z, UNKNOWN), ("up", 0.0, UNKNOWN), ("up", -Z, UNKNOWN),
    ("up", -Z - EPS, NOT_MET), ("down", -2.0, MET), ("down", -Z - EPS, MET), ("down", -Z, UNKNOWN),
    ("down", Z + EPS, NOT_MET), ("down", Z, UNKNOWN),
])
def test_up_and_down_read_the_interval_of_the_change(op: str, change: float, expected: str) -> None:
    assert status(Target(op, None, 2025), 0.0, 100.0, False, Trend(change, 1.0, 50.0), Z) == expected


@pytest.mark.parametrize("op", ["up", "down"])
def test_up_and_down_without_a_baseline_are_unknown(op: str) -> None:
    assert status(Target(op, None, 2025), 60.0, 70.0, False, None, Z) == UNKNOWN


def test_the_change_and_the_projection_of_independent_waves() -> None:
    # p0 = 40 (se 3) in 2020, p1 = 46 (se 4) in 2022, target year 2025: k = 3/2
    found = trend(46.0, 4.0, 40.0, 3.0, 2022, 2020, 2025)
    assert found.change == pytest.approx(6.0) and found.change_se == pytest.approx(5.0)
    assert found.projected == pytest.approx(46 + 6 * 1.5)
    assert found.projected_se == pytest.approx(math.sqrt(2.5**2 * 16 + 1.5**2 * 9))
    now = trend(46.0, 4.0, 40.0, 3.0, 2025, 2020, 2025)  # the target year itself: k = 0
    assert (now.projected, now.projected_se) == (46.0, 4.0)
    assert trend(46.0, 4.0, 40.0, 3.0, 2022, 2020, None).projected is None  # no target year
    assert trend(46.0, 4.0, 40.0, 3.0, 2026, 2020, 2025).projected is None  # the target year has passed


def projecting(projected: float, se: float = 1.0) -> Trend:
    """A trend with no significant change and the given projection."""
    return Trend(0.0, 1.0, 50.0, projected, se)


@pytest.mark.parametrize("op, value, tolerance, projected, warns", [
    (">=", 80, None, 80 - Z - EPS, True), (">=", 80, None, 80 - Z, False),
    ("=", 80, None, 80 - Z - EPS, True), ("=", 80, None, 80 - Z, False),
    (">", 80, None, 80 - Z, True), (">", 80, None, 80 - Z + EPS, False),
    ("<=", 20, None, 20 + Z + EPS, True), ("<=", 20, None, 20 + Z, False),
    ("<", 20, None, 20 + Z, True), ("<", 20, None, 20 + Z - EPS, False),
    ("~", 50, 2, 48 - Z - EPS, True), ("~", 50, 2, 48 - Z, False),
    ("~", 50, 2, 52 + Z + EPS, True), ("~", 50, 2, 52 + Z, False), ("~", 50, 2, 50.0, False),
    ("up", None, None, -100.0, False), ("down", None, None, 100.0, False), ("qual", None, None, -100.0, False),
])
def test_hard_to_meet_when_the_projected_interval_lies_on_the_failing_side(
        op: str, value: float | None, tolerance: float | None, projected: float, warns: bool) -> None:
    found = warnings(Target(op, value, 2025, tolerance), 50.0, 0.01, projecting(projected), Z)
    assert (HARD_TO_MEET in found) is warns


@pytest.mark.parametrize("op, value, estimate, baseline, warns", [
    (">=", 80, 70.0, 75.0, True), (">=", 80, 80.0, 70.0, False), (">", 80, 70.0, 75.0, True),
    ("=", 100, 90.0, 95.0, True), ("<=", 20, 30.0, 25.0, True), ("<=", 20, 20.0, 25.0, False),
    ("<", 20, 30.0, 25.0, True), ("up", None, 40.0, 45.0, True), ("up", None, 50.0, 45.0, False),
    ("down", None, 50.0, 45.0, True), ("down", None, 40.0, 45.0, False),
    ("~", 50, 60.0, 55.0, True), ("~", 50, 40.0, 45.0, True), ("~", 50, 52.0, 45.0, False),
    ("qual", None, 40.0, 45.0, False),
])
def test_fluctuating_when_a_significant_change_moves_away_from_the_target(
        op: str, value: float | None, estimate: float, baseline: float, warns: bool) -> None:
    target = Target(op, value, 2025, 1.0 if op == "~" else None)
    significant = Trend(estimate - baseline, 1.0, baseline)
    assert (FLUCTUATING in warnings(target, estimate, 0.01, significant, Z)) is warns
    small = Trend(estimate - baseline, abs(estimate - baseline) / Z, baseline)  # exactly at the boundary
    assert FLUCTUATING not in warnings(target, estimate, 0.01, small, Z)


@pytest.mark.parametrize("op", [">=", "<=", "~", "up", "down", "qual"])
def test_fluctuating_when_the_cv_exceeds_30_percent_with_or_without_a_baseline(op: str) -> None:
    target = Target(op, 50.0 if op in (">=", "<=", "~") else None, 2025, 1.0 if op == "~" else None)
    assert FLUCTUATING in warnings(target, 10.0, 0.30 + EPS, None, Z)
    assert FLUCTUATING not in warnings(target, 10.0, 0.30, None, Z)
    assert warnings(target, 10.0, 0.1, None, Z) == []  # nothing else without a baseline


def cell(n: int = 100, p: float = 0.9, flags: tuple[str, ...] = ()) -> Cell:
    return Cell((), p, 0.01, p - 0.02, p + 0.02, n, 0.01 / p, flags)


CTX = Context(df=40, year=2026, z=Z, baseline=None)


@pytest.mark.parametrize("n, flags, suppressed", [
    (30, (), False), (29, (), True), (100, ("nchs:suppress:width",), True), (100, ("nchs:review:df",), False),
])
def test_suppression_by_the_denominator_and_the_nchs_rule(n: int, flags: tuple[str, ...], suppressed: bool) -> None:
    found = entry(CTX, Subject("W-1", Target(">=", 50.0, 2030), 100.0, 100.0), [], None, cell(n, flags=flags))
    assert found["suppressed"] is suppressed
    assert found["status"] == (UNKNOWN if suppressed else MET)
    assert ("suppress:n<30" in found["flags"]) is (n < 30)


def test_an_entry_is_on_the_shown_scale_and_says_why_a_hundred_percent_target_is_not_met() -> None:
    found = entry(CTX, Subject("W-1", Target("=", 100.0, 2030), 100.0, 100.0), [], None, cell(p=1.0))
    assert (found["estimate"], found["ci_low"], found["ci_high"]) == pytest.approx((100.0, 98.0, 102.0))
    assert found["status"] == UNKNOWN and "target:100%" in found["flags"]
    assert found["target"] == {"op": "=", "value": 100.0, "year": 2030}
    assert "change" not in found  # no baseline, no change keys


def test_an_entry_with_a_baseline_has_its_change_and_projection() -> None:
    earlier = Baseline(2022, {'["W-1", {}, null]': (95.0, 1.0)})
    ctx = Context(df=40, year=2026, z=Z, baseline=earlier)
    found = entry(ctx, Subject("W-1", Target(">=", 99.0, 2030), 100.0, 100.0), [], None, cell(p=0.9))
    assert found["change"] == pytest.approx(-5.0) and found["change_se"] == pytest.approx(math.sqrt(2))
    assert found["change_method"] == "independent"
    assert found["projected"] == pytest.approx(85.0) and found["warnings"] == [HARD_TO_MEET, FLUCTUATING]
    other = entry(ctx, Subject("W-2", Target("up", None, 2030), 100.0, 100.0), [], None, cell())
    assert other["change"] is None and other["change_method"] is None and other["status"] == UNKNOWN
