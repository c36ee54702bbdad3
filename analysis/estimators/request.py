"""What to estimate, in the vocabulary of `cunsheng estimate` (docs/analysis_cli.md): the `Request`.

A frozen description (stat, variable, domains, denominator, quantiles, level, interval method,
design effect, missing-value policy) checked on construction, each wrong option a catalogue
problem of its own. Must not read data or estimate anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import AnalysisError, E, show
from analysis.estimators.intervals import CI_METHODS

STATS = ("mean", "total", "prop", "ratio", "quantile")
NA_POLICIES = ("fail", "drop")


@dataclass(frozen=True)
class Request:
    """What to estimate, in the vocabulary of `cunsheng estimate`."""

    stat: str
    var: str
    by: tuple[str, ...] = ()
    denominator: str | None = None
    quantiles: tuple[float, ...] = ()
    level: float = 0.95
    ci_method: str = "wald"
    deff: bool = False
    na: str = "fail"

    def __post_init__(self) -> None:
        _check_options(self)
        _check_combination(self)

    def columns(self) -> dict[str, str]:
        """The columns the request reads, with their role (for messages)."""
        roles = {name: "--by" for name in self.by}
        if self.denominator is not None:
            roles[self.denominator] = "--denominator"
        roles[self.var] = "--var"
        return roles


def _check_options(request: Request) -> None:
    """Each option on its own: a known statistic, policy and method, a level in (0, 1)."""
    if request.stat not in STATS:
        raise AnalysisError(E.STAT_UNKNOWN, value=show(request.stat), allowed=", ".join(STATS))
    if request.na not in NA_POLICIES:
        raise AnalysisError(E.NA_UNKNOWN, value=show(request.na))
    if request.ci_method not in CI_METHODS:
        raise AnalysisError(E.CI_UNKNOWN, value=show(request.ci_method), allowed=", ".join(CI_METHODS))
    if not 0 < request.level < 1:
        raise AnalysisError(E.LEVEL_RANGE, value=show(request.level))


def _check_combination(request: Request) -> None:
    """Options that go together: ratio and --denominator, quantile and --quantile P in (0, 1) (and
    no interval method: a quantile's interval is Woodruff's)."""
    if request.stat == "ratio" and request.denominator is None:
        raise AnalysisError(E.DENOMINATOR_MISSING)
    if request.stat != "ratio" and request.denominator is not None:
        raise AnalysisError(E.DENOMINATOR_UNEXPECTED)
    if request.stat == "quantile" and not request.quantiles:
        raise AnalysisError(E.QUANTILE_MISSING)
    if request.quantiles and request.stat != "quantile":
        raise AnalysisError(E.QUANTILE_UNEXPECTED)
    for p in request.quantiles:
        if not 0 < p < 1:
            raise AnalysisError(E.QUANTILE_RANGE, value=show(p))
    if request.stat == "quantile" and request.ci_method != "wald":
        raise AnalysisError(E.CI_FOR_QUANTILE, method=request.ci_method)
