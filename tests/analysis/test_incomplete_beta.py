"""The scipy-free incomplete beta agrees with scipy's, and the narrow-interval test never errs."""

from __future__ import annotations

import numpy as np
from scipy.special import betainc

from analysis.estimators.incomplete_beta import regularized_beta
from analysis.estimators.intervals import nchs_interval, nchs_narrow


def test_regularized_beta_agrees_with_scipy() -> None:
    rng = np.random.default_rng(7)
    for scale in (1, 30, 1000, 10000):
        a, b = rng.uniform(0.5, 2, 400) * scale, rng.uniform(0.5, 2, 400) * scale
        x = np.clip(a / (a + b) + rng.normal(0, 0.5 / np.sqrt(scale + 1), 400), 1e-6, 1 - 1e-6)
        assert np.max(np.abs(regularized_beta(x, a, b) - betainc(a, b, x))) < 1e-9


def test_narrow_intervals_are_narrow() -> None:
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(0, 1, 3000), [0.0, 1.0, 0.01, 0.99]])
    adjusted = np.concatenate([np.exp(rng.uniform(np.log(2), np.log(50000), 3000)), [500.0, 500.0, 20000.0, 20000.0]])
    narrow = nchs_narrow(p, adjusted, 0.05)
    low, high = nchs_interval(p, adjusted)
    width = high - low
    assert narrow.any() and (~narrow).any()
    assert (width[narrow] < 0.05).all()
    # the test is not needlessly cautious: most intervals well inside the width are recognised
    clearly = (width < 0.04) & (p - 0.025 > 0) & (p + 0.025 < 1)
    assert narrow[clearly].mean() > 0.95
