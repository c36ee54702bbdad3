"""Solvers of the calibration equations for model calibration (R `survey`'s `regcalibrate` and `grake`).

Given the model matrix x, the design weights w and the population totals, return the g-weights:
linear (GREG) in closed form, or Newton steps for linear-with-bounds, raking (exp) and logit
distance functions (Deville & Särndal 1992; Lumley 2010, ch. 7). Pure numpy: must not read data,
parse specs or compute variances (those are `analysis.calibration.model` and `.spec`).
"""

from __future__ import annotations

import numpy as np

from analysis.errors import AnalysisError, E

GRAKE_EPSILON = 1e-12
GRAKE_MAXIT = 100


def linear_g(x: np.ndarray, w: np.ndarray, population: np.ndarray) -> np.ndarray:
    """GREG g-weights 1 + x'T^-1 (t_x - t_x,hat) (R's `regcalibrate`)."""
    scaled = x * np.sqrt(w)[:, None]
    try:
        lam = np.linalg.solve(scaled.T @ scaled, population - x.T @ w)
    except np.linalg.LinAlgError:
        raise AnalysisError(E.CAL_COLLINEAR) from None
    return 1 + x @ lam


def grake(
    x: np.ndarray, w: np.ndarray, population: np.ndarray, method: str, bounds: tuple[float, float], names: list[str]
) -> np.ndarray:
    """R's `grake()`: Newton steps on the calibration equations for F = linear, exp or logit."""
    lo, hi = bounds
    sample_total = x.T @ w
    a = (hi - lo) / ((hi - 1) * (1 - lo)) if method == "logit" else 1.0

    def logistic(u: np.ndarray) -> np.ndarray:
        """(1 - lo) e^(a u) / (hi - 1 + (1 - lo) e^(a u)): R's logit F, written to avoid overflow."""
        return 0.5 * (1 + np.tanh((a * u + np.log((1 - lo) / (hi - 1))) / 2))

    def inverse(u: np.ndarray) -> np.ndarray:
        if method == "linear":
            return np.clip(u + 1, lo, hi) - 1
        if method == "raking":
            return np.clip(np.exp(u), lo, hi) - 1
        return lo + (hi - lo) * logistic(u) - 1

    def slope(u: np.ndarray) -> np.ndarray:
        inside = (u < hi - 1) & (u > lo - 1)
        if method == "linear":
            return inside.astype(np.float64)
        if method == "raking":
            return np.where(inside, np.exp(u), 0.0)
        sigma = logistic(u)
        return (hi - lo) * a * sigma * (1 - sigma)

    eta = np.zeros(x.shape[1])
    for _ in range(GRAKE_MAXIT):
        u = x @ eta
        t = (x * (w * slope(u))[:, None]).T @ x
        misfit = population - sample_total - x.T @ (w * inverse(u))
        eta = eta + np.linalg.pinv(t) @ misfit
        u = x @ eta
        misfit = population - sample_total - x.T @ (w * inverse(u))
        if np.all(np.abs(misfit) / (1 + np.abs(population)) < GRAKE_EPSILON):
            return 1 + inverse(u)
    worst = names[int(np.argmax(np.abs(misfit) / (1 + np.abs(population))))]
    raise AnalysisError(E.CAL_BOUNDS_UNMET, method=method, iterations=GRAKE_MAXIT, name=worst)
