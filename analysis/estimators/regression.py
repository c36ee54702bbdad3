"""Design-based generalised linear models as R `survey`'s `svyglm()` (gaussian and quasibinomial).

The coefficients solve the weighted estimating equations sum_i w_i x_i (y_i - mu_i) = 0 (iteratively
reweighted least squares, canonical links: identity and logit). Their covariance is the sandwich
A^-1 Var(sum_i w_i x_i e_i) A^-1 with A = X' W_work X and the middle term the design variance of
the totals of the influence values x_i w_i e_i A^-1, taken by the linearised variance of
`analysis.estimators.strategy` exactly as R's
`svy.varcoef()` -> `svyrecvar()` (Binder 1983; Lumley 2010, ch. 5; Lumley & Scott 2017, Stat Sci
32:265-278). The residual df is `degf(design) + 1 - p` and the gaussian dispersion is the weighted
mean of squared residuals, as `summary.svyglm()`. Library level only: not a `cunsheng estimate`
statistic, and must not be imported by `analysis.cli` (it stays out of the command line).
Rows with a missing value must be removed beforehand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.design.spec import Design
from analysis.errors import AnalysisError, E, show
from analysis.estimators.strategy import Linearised
from analysis.estimators.survey import survey
from analysis.io.columns import from_frame

FAMILIES = ("gaussian", "binomial")


@dataclass(frozen=True, eq=False)
class GLMFit:
    """Coefficients (intercept first), their design-based covariance, and summary quantities."""

    names: list[str]
    coef: np.ndarray
    cov: np.ndarray
    dispersion: float
    df_resid: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def wald_f(self, terms: Sequence[str]) -> float:
        """`regTermTest(method = "Wald")`: beta' V^-1 beta / q for the named coefficients."""
        idx = [self.names.index(t) for t in terms]
        b = self.coef[idx]
        return float(b @ np.linalg.solve(self.cov[np.ix_(idx, idx)], b) / len(idx))


def svyglm(data: Any, design: Design, y: Any, predictors: Sequence[str], family: str = "gaussian") -> GLMFit:
    """Fit `svyglm(y ~ predictors, design, family)`; `y` is a column name or an array of responses."""
    if family not in FAMILIES:
        raise AnalysisError(E.GLM_FAMILY, value=show(family), allowed=", ".join(FAMILIES))
    if design.replicate is not None or design.calibration is not None:
        raise AnalysisError(E.GLM_DESIGN)
    prepared = survey(from_frame(data, list(design.columns())), design)
    strategy = Linearised(prepared)  # replicate designs are refused above
    bound = prepared.bound
    response = np.asarray(data[y] if isinstance(y, str) else y, dtype=np.float64)
    x = np.column_stack([np.ones(len(response)), *(np.asarray(data[p], dtype=np.float64) for p in predictors)])
    if np.isnan(x).any() or np.isnan(response).any():
        raise AnalysisError(E.GLM_MISSING)
    w = bound.weights
    beta, mu, working, scaled_residual = _irls(x, response, w / w.mean(), family)
    a_inv = np.linalg.inv(x.T @ (x * working[:, None]))
    influence = (x * scaled_residual[:, None]) @ a_inv
    variance = strategy.variance(np.zeros(len(response), dtype=np.int64), 1)
    p = x.shape[1]
    diag = np.array([variance(influence[:, j])[0] for j in range(p)])
    cov = np.diag(diag)
    for j in range(p):
        for k in range(j + 1, p):
            cov[j, k] = cov[k, j] = (variance(influence[:, j] + influence[:, k])[0] - diag[j] - diag[k]) / 2
    residual = response - mu
    pearson = residual * residual if family == "gaussian" else residual * residual / (mu * (1 - mu))
    n = np.count_nonzero(w)
    dispersion = float(np.sum(w * pearson) / np.sum(w) * n / (n - 1))
    return GLMFit(["(Intercept)", *predictors], beta, cov, dispersion, bound.df + 1 - p)


def _irls(
    x: np.ndarray, y: np.ndarray, prior: np.ndarray, family: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's `glm.fit` with prior weights w / mean(w): coefficients, fitted means, the working weights
    of the last iteration (evaluated before its update, as R returns them) and the working residuals
    times those weights; converged when the deviance changes by < 1e-8 relative."""
    if family == "gaussian":
        beta = np.linalg.solve(x.T @ (x * prior[:, None]), x.T @ (prior * y))
        mu = x @ beta
        return beta, mu, prior, prior * (y - mu)
    mu = (prior * y + 0.5) / (prior + 1)
    eta = np.log(mu / (1 - mu))
    deviance_old = _binomial_deviance(y, mu, prior)
    for _ in range(25):
        slope = mu * (1 - mu)
        z = eta + (y - mu) / slope
        working = prior * slope
        beta = np.linalg.solve(x.T @ (x * working[:, None]), x.T @ (working * z))
        eta = x @ beta
        mu = 1 / (1 + np.exp(-eta))
        deviance = _binomial_deviance(y, mu, prior)
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < 1e-8:
            return beta, mu, working, working * (y - mu) / (mu * (1 - mu))
        deviance_old = deviance
    raise AnalysisError(E.GLM_NOT_CONVERGED, iterations=25)


def _binomial_deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mu), 0.0) + np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(2 * np.sum(prior * terms))
