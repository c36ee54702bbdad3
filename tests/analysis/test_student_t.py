"""The plain-Python t quantile agrees with scipy's (Boost) and with closed forms, to rounding."""

from __future__ import annotations

import math

import pytest
from scipy.special import ndtri, stdtrit

from analysis.estimators.student_t import t_quantile

DFS = [0.5, 1, 1.5, 2, 3, 3.7, 5, 14, 19.5, 20, 29, 99, 149, 150, 151, 1000, 1950, 9999, 99999, 1e6, 1e9]
PROBS = [0.51, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 1e-6, 1e-9, 0.001, 0.025, 0.05, 0.3]


@pytest.mark.parametrize("df", DFS)
def test_t_quantile_agrees_with_scipy(df: float) -> None:
    for prob in PROBS:
        expected = float(stdtrit(df, prob))
        assert t_quantile(prob, df) == pytest.approx(expected, rel=1e-13, abs=0), (df, prob)


def test_t_quantile_closed_forms_for_one_and_two_df() -> None:
    for prob in [0.4999, 0.505, 0.6, 0.975, 0.001]:
        assert t_quantile(prob, 1) == pytest.approx(-1 / math.tan(math.pi * prob), rel=1e-14)
        exact = (2 * prob - 1) / math.sqrt(2 * prob * (1 - prob))
        assert t_quantile(prob, 2) == pytest.approx(exact, rel=1e-14)


def test_t_quantile_edges() -> None:
    assert t_quantile(0.975, math.inf) == pytest.approx(float(ndtri(0.975)), rel=1e-15)
    assert math.isnan(t_quantile(0.975, 0)) and math.isnan(t_quantile(0.975, -1))
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(1.0, 7) == math.inf and t_quantile(0.0, 7) == -math.inf
    assert t_quantile(0.125, 14) == -t_quantile(0.875, 14)  # 1 - 0.875 is exact
