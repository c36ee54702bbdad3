"""The one choice of variance method: Taylor linearisation (plain or calibrated) or replicates.

`variance_strategy(survey)` is the only place that looks at a design's kind and decides; every
estimator asks the strategy it returns. `Linearised` takes the variance of domain totals of
influence values over the full design (analysis.estimators.variance: R's `svyrecvar()`; with
calibration on the calibration residuals, as R's `postStrata`). `Replicated` re-evaluates the
statistic on every replicate weight column and combines the replicate estimates as R's `svrVar`
(Wolter 2007, ch. 3-4; Lumley 2010, sec. 2.8); `--ci-method logit` then takes the replicate
variance of logit(p), as R's `svyciprop`. `domain_mean` gives quantiles the variance of the
estimated CDF either way (R's `woodruffCI()` calls `svymean()` on whichever design it has).
Must not read data or format output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from analysis.estimators import linear
from analysis.estimators.linear import Linear, Sums, Variance
from analysis.estimators.quantiles import DomainMean
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

    def domain_mean(self, w: np.ndarray, sums: Sums, domain: np.ndarray, count: int) -> DomainMean:
        """Domain means of per-row values with their linearised variances."""
        variance = self.variance(domain, count)
        return lambda values: linear.mean(values, w, sums, variance)


@dataclass(frozen=True, eq=False)
class Replicated:
    """Replicate-weight variance: the statistic on every replicate column, combined as `svrVar`."""

    survey: Survey
    replicates: Replicates

    @property
    def df(self) -> int:
        return self.survey.bound.df

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
            deff = v * full.deff  # 0 x inf (a domain with a constant value) is NaN, as R's deff
        return Linear(full.estimate, v, deff), thetas

    def interval_se(self, thetas: np.ndarray | None, estimate: np.ndarray, se: np.ndarray, method: str) -> np.ndarray:
        """R's svyciprop(method = "logit") on replicates: the replicate variance of logit(p), put back
        on the scale of p so that `proportion_interval`'s delta step recovers it."""
        if method != "logit" or thetas is None:
            return se
        with np.errstate(divide="ignore", invalid="ignore"):
            logit_var = self.replicates.variance(np.log(thetas / (1 - thetas)), np.log(estimate / (1 - estimate)))
            return (np.sqrt(logit_var) * estimate * (1 - estimate)).reshape(-1)


    def domain_mean(self, w: np.ndarray, sums: Sums, domain: np.ndarray, count: int) -> DomainMean:
        """Domain means of per-row values with their replicate variances (`svymean` on the replicates)."""
        return lambda values: self.linear(_Mean(values, sums), domain, count)[0]


@dataclass(frozen=True, eq=False)
class _Mean:
    """The domain means of fixed per-row values (zero outside every domain) as a `Statistic`."""

    values: np.ndarray
    sums: Sums

    def at(self, w: np.ndarray, variance: Variance) -> Linear:
        return linear.mean(self.values, w, self.sums, variance)

    def factored(self, f: Factored) -> np.ndarray:
        bins, count = self.sums.bins, self.sums.count
        with np.errstate(divide="ignore", invalid="ignore"):
            top = f.sums(bins, count + 1, self.values)[:, :count]
            return (top / f.sums(bins, count + 1, np.ones(len(bins)))[:, :count])[:, :, None]


VarianceStrategy = Linearised | Replicated


def variance_strategy(survey: Survey) -> VarianceStrategy:
    """The variance method of a prepared design: replicates when it has them, else linearisation
    (calibrated when it is calibrated)."""
    if survey.replicates is not None:
        return Replicated(survey, survey.replicates)
    return Linearised(survey)
