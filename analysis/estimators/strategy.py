"""The one choice of variance method: Taylor linearisation (plain or calibrated) or replicates.

`variance_strategy(survey)` is the only place that looks at a design's kind and decides; every
estimator asks the strategy it returns. `Linearised` takes the variance of domain totals of
influence values over the full design (analysis.estimators.variance: R's `svyrecvar()`; with
calibration on the calibration residuals, as R's `postStrata`). `Replicated` re-evaluates the
statistic on every replicate weight column and combines the replicate estimates as R's `svrVar`
(Wolter 2007, ch. 3-4; Lumley 2010, sec. 2.8); `--ci-method logit` then takes the replicate
variance of logit(p), as R's `svyciprop`. Must not read data or format output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from analysis.errors import AnalysisError, E
from analysis.estimators.linear import Linear, Variance
from analysis.estimators.survey import Survey
from analysis.estimators.variance import CalibratedVariance, DomainVariance

if TYPE_CHECKING:  # the replicate room loads only for replicate designs
    from analysis.replicate.weights import Factored, Replicates


class Statistic(Protocol):
    """A linear statistic over domains, evaluated at any weight vector."""

    def at(self, w: np.ndarray, variance: Variance) -> Linear:
        """Estimates (domains x levels), variances from `variance` and design effects at weights w."""
        ...

    def factored(self, f: Factored) -> np.ndarray:
        """Replicate estimates (replicates x domains x levels) of created, factored replicates."""
        ...


@dataclass(frozen=True, eq=False)
class Linearised:
    """Taylor linearisation over the full design, on calibration residuals when calibrated."""

    survey: Survey

    @property
    def df(self) -> int:
        return self.survey.bound.df

    def check(self, stat: str) -> None:
        """Every statistic has a linearised variance."""

    def variance(self, domain: np.ndarray, count: int) -> Variance:
        """Var(domain total of z) for per-row z, for `count` domains coded in `domain` (-1 outside)."""
        s = self.survey
        if s.calibrator is None:
            return DomainVariance(s.bound, domain, count)
        residual = s.calibrator.residualiser(s.sampling, s.bound.weights)
        return CalibratedVariance(s.bound, domain, count, residual)

    def linear(self, statistic: Statistic, domain: np.ndarray, count: int) -> tuple[Linear, np.ndarray | None]:
        """The statistic with its linearised variance (no replicate estimates)."""
        return statistic.at(self.survey.bound.weights, self.variance(domain, count)), None

    def interval_se(self, thetas: np.ndarray | None, estimate: np.ndarray, se: np.ndarray, method: str) -> np.ndarray:
        """The standard error an interval method uses: the linearised one."""
        return se


@dataclass(frozen=True, eq=False)
class Replicated:
    """Replicate-weight variance: the statistic on every replicate column, combined as `svrVar`."""

    survey: Survey
    replicates: Replicates

    @property
    def df(self) -> int:
        return self.survey.bound.df

    def check(self, stat: str) -> None:
        """Quantiles have no replicate variance yet."""
        if stat == "quantile":
            raise AnalysisError(E.UNSUPPORTED, stat=stat, design_zh="复制权重设计", design_en="replicate weights")

    def variance(self, domain: np.ndarray, count: int) -> Variance:
        """Not defined for replicates: a statistic needing a per-row variance is unsupported."""
        raise AnalysisError(E.UNSUPPORTED, stat="quantile", design_zh="复制权重设计", design_en="replicate weights")

    def linear(self, statistic: Statistic, domain: np.ndarray, count: int) -> tuple[Linear, np.ndarray | None]:
        """Full-sample estimates, replicate variances and deffs, and the replicate estimates."""

        def ones(z: np.ndarray) -> np.ndarray:
            return np.ones(count)

        def zeros(z: np.ndarray) -> np.ndarray:
            return np.zeros(count)

        full = statistic.at(self.survey.bound.weights, ones)  # variance 1, so deff = 1 / vsrs
        from analysis.replicate.weights import Factored

        stored = self.replicates.stored
        if isinstance(stored, Factored):
            thetas = statistic.factored(stored)
        else:
            thetas = np.stack([statistic.at(w, zeros).estimate for w in stored.T])
        with np.errstate(invalid="ignore"):
            v = self.replicates.variance(thetas, full.estimate)
        return Linear(full.estimate, v, v * full.deff), thetas

    def interval_se(self, thetas: np.ndarray | None, estimate: np.ndarray, se: np.ndarray, method: str) -> np.ndarray:
        """R's svyciprop(method = "logit") on replicates: the replicate variance of logit(p), put back
        on the scale of p so that `proportion_interval`'s delta step recovers it."""
        if method != "logit" or thetas is None:
            return se
        with np.errstate(divide="ignore", invalid="ignore"):
            logit_var = self.replicates.variance(np.log(thetas / (1 - thetas)), np.log(estimate / (1 - estimate)))
            return (np.sqrt(logit_var) * estimate * (1 - estimate)).reshape(-1)


VarianceStrategy = Linearised | Replicated


def variance_strategy(survey: Survey) -> VarianceStrategy:
    """The variance method of a prepared design: replicates when it has them, else linearisation
    (calibrated when it is calibrated)."""
    if survey.replicates is not None:
        return Replicated(survey, survey.replicates)
    return Linearised(survey)
